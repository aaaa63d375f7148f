// How a strict exact-sample matcher (bespoken's virtual-alexa, which reads our models the
// way the Alexa simulator's tests do) understands a YAML file of utterances.
//
//   mkdir /tmp/valexa && cd /tmp/valexa && npm install virtual-alexa js-yaml
//   NODE_PATH=/tmp/valexa/node_modules node bench/strict_match.js \
//       interaction_models/en-US.json utterances.yaml
//
// The YAML: `utterances: [{text, intent, slots?, scope}]` (scope `in`, `medical`, or `out`
// / `off_topic`, which mean the same).
// An in-scope or medical utterance counts when virtual-alexa matches it to the expected
// intent with the expected slot values (ids or numbers); an out-of-scope one counts when
// it matches no intent or AMAZON.FallbackIntent.  Prints the shares per scope (in-scope,
// medical, out-of-scope) and the misses.
// Not used by CI or the tests; Node and the npm packages are needed only here.
"use strict";

const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const va = require("virtual-alexa");
const core = require("virtual-core");

function usage() {
  console.error("usage: node bench/strict_match.js <model.json> <utterances.yaml> [...]");
  process.exit(2);
}

function buildModel(modelFile) {
  // A handler is required by the builder but never invoked: we only match utterances.
  const alexa = va.VirtualAlexa.Builder()
    .handler(path.join(__dirname, "strict_match.js") + ".unused")
    .interactionModelFile(modelFile)
    .create();
  return alexa.context().interactionModel();
}

function spoken(text) {
  // What a speech recogniser would hand over: lower case, no punctuation.
  return String(text).toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, " ").replace(/\s+/g, " ").trim();
}

const SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
  "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
  "eighteen", "nineteen"];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

function numberValue(words) {
  // "25", "twenty five", "twenty-five" -> 25 (0..99 is all our slots need); else NaN.
  const w = String(words).toLowerCase().replace(/-/g, " ").trim();
  if (/^\d+$/.test(w)) return Number(w);
  const parts = w.split(/\s+/);
  if (parts.length === 1 && SMALL.includes(parts[0])) return SMALL.indexOf(parts[0]);
  const tens = TENS.indexOf(parts[0]);
  if (tens < 2) return NaN;
  if (parts.length === 1) return tens * 10;
  const unit = SMALL.indexOf(parts[1]);
  return parts.length === 2 && unit > 0 && unit < 10 ? tens * 10 + unit : NaN;
}

function slotOk(types, utterance, want) {
  // Every expected slot: the spoken value is the id, a value or synonym of that id, or
  // the number itself.
  const got = utterance.toJSON() || {};
  for (const [name, value] of Object.entries(want || {})) {
    if (got[name] === undefined) return false;
    const heard = String(got[name]).toLowerCase();
    const expected = String(value);
    const bySynonym = types.some((type) => (type.values || []).some((v) => v.id === expected
      && [v.name.value].concat(v.name.synonyms || []).some((n) => n.toLowerCase() === heard)));
    if (heard !== expected.toLowerCase() && !bySynonym && numberValue(heard) !== Number(expected)) {
      return false;
    }
  }
  return true;
}

function score(modelFile, yamlFile) {
  const model = buildModel(modelFile);
  const raw = JSON.parse(fs.readFileSync(modelFile, "utf8"));
  const types = raw.interactionModel.languageModel.types || [];
  const data = yaml.load(fs.readFileSync(yamlFile, "utf8"));
  const tally = { in: [0, 0], medical: [0, 0], out: [0, 0] };
  const misses = [];
  for (const item of data.utterances) {
    const scope = item.scope === "out" || item.scope === "off_topic" ? "out"
      : item.scope === "medical" ? "medical" : "in";
    let intent = null;
    let ok = false;
    try {
      const u = new core.Utterance(model, spoken(item.text));
      if (u.matched()) {
        intent = u.intent();
        ok = scope === "out"
          ? intent === "AMAZON.FallbackIntent"
          : intent === item.intent && slotOk(types, u, item.slots);
      } else {
        ok = scope === "out";
      }
    } catch (err) {
      ok = scope === "out";
      intent = `error: ${err.message}`;
    }
    tally[scope][1] += 1;
    if (ok) tally[scope][0] += 1;
    else misses.push(`${JSON.stringify(item.text)}: want ${item.intent} got ${intent}`);
  }
  const pct = ([r, n]) => (n ? `${r}/${n} (${((100 * r) / n).toFixed(0)}%)` : "0/0");
  console.log(`${yamlFile} with ${path.basename(modelFile)}: in-scope matched ${pct(tally.in)}, `
    + `medical matched ${pct(tally.medical)}, out-of-scope unmatched ${pct(tally.out)}`);
  for (const m of misses) console.log(`  miss ${m}`);
}

const args = process.argv.slice(2);
if (args.length < 2) usage();
const [modelFile, ...files] = args;
for (const f of files) score(modelFile, f);
