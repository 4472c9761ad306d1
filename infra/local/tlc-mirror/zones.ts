// Geography the generator needs: TLC LocationIDs grouped by where trips start and end, how popular
// each zone is, and typical distances between groups. The ID lists follow dbt/seeds/taxi_zone_lookup.csv
// (Borough / service_zone columns); they are inlined so generation never reads files at run time.
import { WeightedChoice, type SeededRandom } from './random';

export const ZONE_GROUPS = [
  'manhattanCore', // Manhattan "Yellow Zone": below ~110th St, where the congestion surcharge applies
  'manhattanUpper', // Manhattan "Boro Zone": Harlem, Washington Heights, Inwood, Roosevelt Island
  'brooklyn',
  'queens', // without the airports
  'bronx',
  'statenIsland',
  'jfk',
  'lga',
  'ewr',
  'unknown', // LocationID 264
  'outside', // LocationID 265, "Outside of NYC"
] as const;
export type ZoneGroup = (typeof ZONE_GROUPS)[number];

export const JFK_ZONE = 132;
export const LGA_ZONE = 138;
export const EWR_ZONE = 1;
export const UNKNOWN_ZONE = 264;
export const OUTSIDE_NYC_ZONE = 265;

const ZONE_IDS: Record<ZoneGroup, readonly number[]> = {
  manhattanCore: [
    4, 12, 13, 24, 43, 45, 48, 50, 68, 79, 87, 88, 90, 100, 103, 104, 105, 107, 113, 114, 125, 137, 140, 141,
    142, 143, 144, 148, 151, 158, 161, 162, 163, 164, 170, 186, 194, 209, 211, 224, 229, 230, 231, 232, 233,
    234, 236, 237, 238, 239, 246, 249, 261, 262, 263,
  ],
  manhattanUpper: [41, 42, 74, 75, 116, 120, 127, 128, 152, 153, 166, 202, 243, 244],
  brooklyn: [
    11, 14, 17, 21, 22, 25, 26, 29, 33, 34, 35, 36, 37, 39, 40, 49, 52, 54, 55, 61, 62, 63, 65, 66, 67, 71,
    72, 76, 77, 80, 85, 89, 91, 97, 106, 108, 111, 112, 123, 133, 149, 150, 154, 155, 165, 177, 178, 181, 188,
    189, 190, 195, 210, 217, 222, 225, 227, 228, 255, 256, 257,
  ],
  queens: [
    2, 7, 8, 9, 10, 15, 16, 19, 27, 28, 30, 38, 53, 56, 57, 64, 70, 73, 82, 83, 86, 92, 93, 95, 96, 98, 101,
    102, 117, 121, 122, 124, 129, 130, 131, 134, 135, 139, 145, 146, 157, 160, 171, 173, 175, 179, 180, 191,
    192, 193, 196, 197, 198, 201, 203, 205, 207, 215, 216, 218, 219, 223, 226, 252, 253, 258, 260,
  ],
  bronx: [
    3, 18, 20, 31, 32, 46, 47, 51, 58, 59, 60, 69, 78, 81, 94, 119, 126, 136, 147, 159, 167, 168, 169, 174,
    182, 183, 184, 185, 199, 200, 208, 212, 213, 220, 235, 240, 241, 242, 247, 248, 250, 254, 259,
  ],
  statenIsland: [5, 6, 23, 44, 84, 99, 109, 110, 115, 118, 156, 172, 176, 187, 204, 206, 214, 221, 245, 251],
  jfk: [JFK_ZONE],
  lga: [LGA_ZONE],
  ewr: [EWR_ZONE],
  unknown: [UNKNOWN_ZONE],
  outside: [OUTSIDE_NYC_ZONE],
};

/**
 * Manhattan below 60th Street: the congestion relief zone whose $0.75 cbd_congestion_fee starts on
 * 2025-01-05 (Central Park, the Upper East/West Side and Lincoln Square lie north of it).
 */
const CONGESTION_RELIEF_ZONE_IDS = [
  4, 12, 13, 45, 48, 50, 68, 79, 87, 88, 90, 100, 107, 113, 114, 125, 137, 144, 148, 158, 161, 162, 163, 164,
  170, 186, 209, 211, 224, 229, 230, 231, 232, 233, 234, 246, 249, 261,
];

// Relative popularity of Manhattan zones (Midtown, the Upper East Side and Penn Station dominate real
// pickups); zones not listed weigh 1. The harbour islands and Randalls Island are almost never served.
const MANHATTAN_CORE_POPULARITY: Readonly<Record<number, number>> = {
  237: 6,
  161: 6,
  236: 5.5,
  162: 5,
  230: 4.5,
  186: 4,
  142: 4,
  170: 3.5,
  163: 3.5,
  239: 3.5,
  68: 3.5,
  234: 3.5,
  48: 3,
  141: 3,
  79: 3,
  107: 3,
  238: 2.5,
  140: 2.5,
  100: 2.5,
  249: 2.5,
  164: 2.5,
  113: 2,
  90: 2,
  246: 2,
  114: 2,
  229: 2,
  137: 2,
  262: 2,
  263: 2,
  143: 1.5,
  233: 1.5,
  43: 1.5,
  148: 1.5,
  211: 1.5,
  231: 1.5,
  158: 1.5,
  12: 0.3,
  224: 0.6,
  209: 0.6,
  45: 0.6,
  232: 0.5,
  103: 0.01,
  104: 0.01,
  105: 0.01,
  194: 0.05,
};
// Busy neighbourhoods outside Manhattan (Williamsburg, Park Slope, Astoria, Long Island City, ...).
const OUTER_BOROUGH_HOT_SPOTS: Readonly<Record<number, number>> = {
  181: 3,
  255: 3,
  256: 3,
  65: 3,
  66: 3,
  97: 3,
  112: 3,
  33: 3,
  7: 3,
  129: 3,
  82: 2,
  145: 3,
  146: 3,
  226: 3,
  223: 2,
  260: 2,
  247: 2,
  168: 2,
  69: 2,
  74: 3,
  75: 3,
  41: 3,
  166: 2,
};

function zoneWeight(group: ZoneGroup, zoneId: number): number {
  if (group === 'manhattanCore') return MANHATTAN_CORE_POPULARITY[zoneId] ?? 1;
  // A fixed, seed-independent spread so outer zones are not all equally likely.
  const spread = 0.5 + ((zoneId * 7919) % 100) / 100;
  return spread * (OUTER_BOROUGH_HOT_SPOTS[zoneId] ?? 1);
}

// Where trips start, as a share of all trips (real files: ~85% Manhattan, ~8% airports).
const PICKUP_GROUP_SHARE: Record<ZoneGroup, number> = {
  manhattanCore: 0.83,
  manhattanUpper: 0.025,
  brooklyn: 0.02,
  queens: 0.025,
  bronx: 0.005,
  statenIsland: 0.0002,
  jfk: 0.05,
  lga: 0.03,
  ewr: 0.0003,
  unknown: 0.012,
  outside: 0.0025,
};

// Where trips end given where they started; groups left out get a small floor weight.
const DROPOFF_GROUP_SHARE: Record<ZoneGroup, Partial<Record<ZoneGroup, number>>> = {
  manhattanCore: {
    manhattanCore: 0.86,
    manhattanUpper: 0.03,
    brooklyn: 0.04,
    queens: 0.025,
    bronx: 0.006,
    jfk: 0.012,
    lga: 0.015,
    ewr: 0.002,
    unknown: 0.006,
    outside: 0.004,
  },
  manhattanUpper: {
    manhattanCore: 0.45,
    manhattanUpper: 0.35,
    brooklyn: 0.03,
    queens: 0.04,
    bronx: 0.1,
    lga: 0.02,
    jfk: 0.005,
  },
  brooklyn: {
    brooklyn: 0.55,
    manhattanCore: 0.25,
    queens: 0.1,
    manhattanUpper: 0.02,
    jfk: 0.03,
    lga: 0.02,
    statenIsland: 0.005,
  },
  queens: {
    queens: 0.5,
    manhattanCore: 0.25,
    brooklyn: 0.1,
    lga: 0.05,
    jfk: 0.05,
    bronx: 0.02,
    manhattanUpper: 0.02,
  },
  bronx: { bronx: 0.55, manhattanUpper: 0.2, manhattanCore: 0.12, queens: 0.06, brooklyn: 0.02, lga: 0.02 },
  statenIsland: { statenIsland: 0.4, manhattanCore: 0.3, brooklyn: 0.2, outside: 0.05, ewr: 0.02 },
  jfk: {
    manhattanCore: 0.55,
    manhattanUpper: 0.02,
    brooklyn: 0.18,
    queens: 0.18,
    bronx: 0.02,
    statenIsland: 0.005,
    jfk: 0.005,
    lga: 0.005,
    ewr: 0.002,
    unknown: 0.01,
    outside: 0.02,
  },
  lga: {
    manhattanCore: 0.6,
    manhattanUpper: 0.04,
    brooklyn: 0.1,
    queens: 0.2,
    bronx: 0.03,
    jfk: 0.005,
    unknown: 0.01,
    outside: 0.01,
  },
  ewr: { manhattanCore: 0.7, outside: 0.15, brooklyn: 0.05, queens: 0.03, ewr: 0.05 },
  unknown: { unknown: 0.7, manhattanCore: 0.2, brooklyn: 0.03, queens: 0.03, outside: 0.02 },
  outside: { outside: 0.6, manhattanCore: 0.3, brooklyn: 0.03, queens: 0.03, ewr: 0.02 },
};
const DROPOFF_FLOOR_SHARE = 0.0002;

/** Median trip miles between two groups (symmetric); the generator adds log-normal spread. */
const TYPICAL_MILES: ReadonlyArray<readonly [ZoneGroup, ZoneGroup, number]> = [
  ['manhattanCore', 'manhattanCore', 1.6],
  ['manhattanCore', 'manhattanUpper', 4.5],
  ['manhattanCore', 'brooklyn', 5.5],
  ['manhattanCore', 'queens', 6],
  ['manhattanCore', 'bronx', 8],
  ['manhattanCore', 'statenIsland', 17],
  ['manhattanCore', 'jfk', 17],
  ['manhattanCore', 'lga', 9.5],
  ['manhattanCore', 'ewr', 18],
  ['manhattanCore', 'outside', 15],
  ['manhattanUpper', 'manhattanUpper', 1.8],
  ['manhattanUpper', 'bronx', 3.5],
  ['manhattanUpper', 'lga', 7],
  ['brooklyn', 'brooklyn', 2.5],
  ['brooklyn', 'queens', 6],
  ['brooklyn', 'jfk', 11],
  ['brooklyn', 'lga', 10],
  ['queens', 'queens', 2.5],
  ['queens', 'jfk', 8],
  ['queens', 'lga', 5],
  ['bronx', 'bronx', 2.5],
  ['statenIsland', 'statenIsland', 3],
  ['jfk', 'lga', 10],
  ['jfk', 'jfk', 2],
  ['lga', 'lga', 2],
  ['ewr', 'ewr', 2],
];
const DEFAULT_TYPICAL_MILES = 9;

/** Index of each group in ZONE_GROUPS; the generator works with indices to keep its inner loop cheap. */
export const GROUP_INDEX = Object.fromEntries(ZONE_GROUPS.map((group, index) => [group, index])) as Record<
  ZoneGroup,
  number
>;

// Median miles for every ordered pair of groups, flattened row-major.
const typicalMilesMatrix = new Float64Array(ZONE_GROUPS.length * ZONE_GROUPS.length);
for (const from of ZONE_GROUPS) {
  for (const to of ZONE_GROUPS) {
    const fallback = from === 'unknown' || to === 'unknown' ? 2.5 : DEFAULT_TYPICAL_MILES;
    typicalMilesMatrix[GROUP_INDEX[from] * ZONE_GROUPS.length + GROUP_INDEX[to]] = fallback;
  }
}
for (const [from, to, miles] of TYPICAL_MILES) {
  typicalMilesMatrix[GROUP_INDEX[from] * ZONE_GROUPS.length + GROUP_INDEX[to]] = miles;
  typicalMilesMatrix[GROUP_INDEX[to] * ZONE_GROUPS.length + GROUP_INDEX[from]] = miles;
}

/** Median distance in miles for a trip between two groups (by index); 264 trips get a short guess. */
export function typicalMiles(fromGroup: number, toGroup: number): number {
  return typicalMilesMatrix[fromGroup * ZONE_GROUPS.length + toGroup];
}

// Lookup table by LocationID (a Set lookup costs measurably at millions of rows).
const congestionReliefZones = new Uint8Array(OUTSIDE_NYC_ZONE + 2);
for (const zoneId of CONGESTION_RELIEF_ZONE_IDS) congestionReliefZones[zoneId] = 1;
export function isInCongestionReliefZone(zoneId: number): boolean {
  return congestionReliefZones[zoneId] === 1;
}

/** Samplers for pickup group, dropoff group (given pickup) and the zone inside a group, all by index. */
export class ZoneSampler {
  private readonly pickupGroup = new WeightedChoice(
    ZONE_GROUPS.map((group, index) => [index, PICKUP_GROUP_SHARE[group]] as const),
  );
  private readonly dropoffGroup: WeightedChoice[] = ZONE_GROUPS.map(
    (from) =>
      new WeightedChoice(
        ZONE_GROUPS.map(
          (to, index) => [index, DROPOFF_GROUP_SHARE[from][to] ?? DROPOFF_FLOOR_SHARE] as const,
        ),
      ),
  );
  private readonly zoneInGroup: WeightedChoice[] = ZONE_GROUPS.map(
    (group) =>
      new WeightedChoice(ZONE_IDS[group].map((zoneId) => [zoneId, zoneWeight(group, zoneId)] as const)),
  );

  samplePickupGroup(random: SeededRandom): number {
    return this.pickupGroup.sample(random);
  }

  sampleDropoffGroup(random: SeededRandom, pickupGroup: number): number {
    return this.dropoffGroup[pickupGroup].sample(random);
  }

  sampleZone(random: SeededRandom, group: number): number {
    return this.zoneInGroup[group].sample(random);
  }
}
