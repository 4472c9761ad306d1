// The queries of the platform's workflows, defined once: each workflow sets its handler, and the CLI and
// tests ask with the same definition, so name and answer type cannot drift apart.
import { defineQuery } from '@temporalio/workflow';
import type { EltProgress, MonthOutcome } from './elt';
import type { BringUpStage } from './platform';
import type { PlatformWatchState } from './platform-watch';

/** A month's stage, detail and publish attempt (monthlyYellowTrips). */
export const eltProgressQuery = defineQuery<EltProgress>('eltProgress');
/** Every month of a backfill with its status (yellowTripsBackfill). */
export const backfillProgressQuery = defineQuery<MonthOutcome[]>('backfillProgress');
/** Where the bring-up is (platformBringUp). */
export const bringUpStageQuery = defineQuery<BringUpStage>('bringUpStage');
/** What the watch found in its last round, and its recent restarts (platformWatch). */
export const platformWatchQuery = defineQuery<PlatformWatchState>('platformWatch');
