// YAML for the Kubernetes tooling, in one module so every reader and writer agrees on the format.
import { parseAllDocuments, stringify } from 'yaml';

/** Every document of a YAML stream; empty documents (a trailing `---`) are dropped. */
export function parseYamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`Invalid YAML: ${doc.errors[0].message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

export function parseYaml(text: string): unknown {
  const docs = parseYamlDocuments(text);
  if (docs.length !== 1) throw new Error(`Expected one YAML document, found ${docs.length}`);
  return docs[0];
}

export function dumpYaml(value: unknown): string {
  return stringify(value, { lineWidth: 110, aliasDuplicateObjects: false });
}
