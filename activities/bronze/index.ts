// The Bronze append: one landed TLC month into <catalog>.bronze.yellow_trips (see append.ts).
export {
  appendBronzeMonth,
  CorruptSourceDataError,
  type AppendBronzeOptions,
  type AppendBronzeResult,
  type BronzePath,
} from '../elt/bronze/append';
export { InvalidParquetError } from '../elt/bronze/parquet-footer';
export { InvalidSourceFile } from '../elt/invalid-source-file';
export { SourceSchemaError } from '../elt/bronze/sql';
export { BronzeInputError } from '../elt/bronze/validate';
