// Search attributes of the platform's workflows, defined once: the workflows set them, the CLI and tests
// filter on them, and the Temporal server is started with exactly this list.
import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';

/** The month a Yellow Taxi run loads, so the Temporal UI can filter runs by month. */
export const YELLOW_TRIPS_MONTH = defineSearchAttributeKey('YellowTripsMonth', 'KEYWORD');
/** The ELT stage a run is in (see EltStage). */
export const PIPELINE_STAGE = defineSearchAttributeKey('PipelineStage', 'KEYWORD');
/** Set by Temporal itself on runs a Schedule starts: the time the run was scheduled for. */
export const TEMPORAL_SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  'DATETIME',
);

/** The custom attributes the server must know before a workflow sets them. */
export const CUSTOM_SEARCH_ATTRIBUTES = [YELLOW_TRIPS_MONTH, PIPELINE_STAGE];

/** `--search-attribute Name=Type` values for the Temporal dev server. */
export function devServerSearchAttributeFlags(): string[] {
  const cliType: Record<SearchAttributeType, string> = {
    TEXT: 'Text',
    KEYWORD: 'Keyword',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  return CUSTOM_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${cliType[key.type]}`,
  ]);
}
