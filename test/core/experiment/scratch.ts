import Ajv from 'ajv';
import schema from '/work/main/schemas/experiment.schema.json';
const ajv = new Ajv({ allErrors: true, discriminator: true, useDefaults: true, strict: true, strictRequired: false, strictTypes: false });
ajv.addVocabulary(['markdownDescription', 'markdownEnumDescriptions']);
const v = ajv.compile(schema);
const ex = {
  "kind": "train",
  "name": "digits-mlp",
  "data": { "format": "csv", "train": "digits.csv.gz", "label": "last", "scale": 16, "testSplit": 0.2 },
  "model": { "inputShape": [64], "layers": [
    { "name": "fc1", "type": "dense", "units": 128, "activation": "relu" },
    { "name": "fc2", "type": "dense", "units": 64, "activation": "relu" },
    { "name": "out", "type": "dence", "units": 10, "activation": "softmax", "foo": 1 } ] },
  "training": { "epochs": 20, "batchSize": 32, "optimizer": { "type": "adam", "learningRate": 0.001 }, "seed": 7 },
  "freezing": { "policy": "static" }
};
console.log(v(ex), JSON.stringify(v.errors, null, 1));
console.log(JSON.stringify(ex));
