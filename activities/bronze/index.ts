// The Bronze append: one landed TLC month into <catalog>.bronze.yellow_trips (see append.ts).
export {
  appendBronzeMonth,
  CorruptSourceDataError,
  type AppendBronzeOptions,
  type AppendBronzeResult,
  type BronzePath,
} from './append';
export { INVALID_SOURCE_FILE, InvalidParquetError, InvalidSourceFileError } from './parquet-footer';
export { SourceSchemaError } from './sql';
export { BronzeInputError } from './validate';
