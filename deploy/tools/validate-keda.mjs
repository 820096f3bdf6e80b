// Validates every KEDA object in the given files against the schema that ships with
// @kubernetes-models/keda. Non-KEDA documents are skipped (kubernetes-validate checks those).
// Exit 1 on the first invalid object.
import fs from 'node:fs';
import YAML from 'yaml';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';

let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const o = doc.toJS();
    if (!o || typeof o.apiVersion !== 'string' || !o.apiVersion.startsWith('keda.sh/')) continue;
    const Model = keda[o.kind];
    if (!Model) {
      console.error(`${file}: no KEDA schema for kind ${o.kind}`);
      process.exit(1);
    }
    try {
      new Model(o).validate();
    } catch (e) {
      console.error(`${file}: ${o.kind}/${o.metadata?.name}: ${e.message}`);
      process.exit(1);
    }
    console.log(`${file}: ${o.kind}/${o.metadata?.name} valid`);
    checked += 1;
  }
}
console.log(`${checked} KEDA object(s) valid`);
