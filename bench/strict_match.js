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
  console.error("usage: node bench/strict_match.js [--numbers-as-is] [--names-as-is] [--fillers-as-is] <model.json> <utterances.yaml> [...]");
  process.exit(2);
}

function teachNumbers() {
  // virtual-alexa's AMAZON.NUMBER knows digits and the words one to twenty only; Alexa's
  // knows every number ("twenty five", "forty-five").  Teach the simulator the words up to
  // 199 so that the share measures our samples, not the simulator's gap.  `--numbers-as-is`
  // skips this and gives the simulator's own figure.
  const numbers = require("virtual-alexa/lib/src/model/BuiltinSlotTypes").NumberSlotType;
  const words = (n) => {
    if (n < 20) return [SMALL[n]];
    if (n < 100) return [n % 10 ? `${TENS[Math.floor(n / 10)]} ${SMALL[n % 10]}` : TENS[n / 10]];
    const rest = n - 100;
    if (rest === 0) return ["one hundred", "a hundred", "hundred"];
    return words(rest).flatMap((w) => [`one hundred ${w}`, `one hundred and ${w}`,
      `a hundred and ${w}`]);
  };
  for (let n = 0; n < 200; n += 1) numbers.LONG_FORM_VALUES[n] = words(n);
}

function buildModel(modelFile) {
  // A handler is required by the builder but never invoked: we only match utterances.
  const alexa = va.VirtualAlexa.Builder()
    .handler(path.join(__dirname, "strict_match.js") + ".unused")
    .interactionModelFile(modelFile)
    .create();
  return alexa.context().interactionModel();
}

// Hesitation sounds a speech recogniser leaves out of its text (our own front ends drop
// the same ones: FILLERS in skill/nlu.py); `--fillers-as-is` keeps them.
const FILLERS = new Set(["um", "umm", "uh", "uhm", "er", "erm", "hmm", "mm"]);
let keepFillers = false;

function spoken(text) {
  // What a speech recogniser would hand over: lower case, no punctuation, no "um".
  const words = String(text).toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, " ").split(/\s+/);
  return words.filter((w) => w && (keepFillers || !FILLERS.has(w))).join(" ");
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

// The intents the dialogue answers as InfoIntent with that section (TOPIC_SECTIONS in
// skill/core/conversation.py; a test checks this copy): "what are the symptoms" as
// SymptomsIntent and "read the symptoms part" as InfoIntent{section: symptoms} are one
// request, so a match under either name counts, as in tests/test_understanding.py.
// `--names-as-is` counts only the expected name.
const TOPIC_SECTIONS = {
  SymptomsIntent: "symptoms",
  CausesIntent: "causes",
  PrognosisIntent: "prognosis",
  TreatmentIntent: "treatment",
  ExercisesInfoIntent: "exercises",
  SeekCareIntent: "seek_care",
  ClinicIntent: "clinic",
};
const SECTION_IDS = new Set(Object.values(TOPIC_SECTIONS));

function asInfoRequest(intent, slots) {
  // [intent, slots] as the dialogue treats them: a topic intent as InfoIntent{section}, an
  // InfoIntent without a known section as the whole leaflet ("about").
  if (TOPIC_SECTIONS[intent]) return ["InfoIntent", { ...slots, section: TOPIC_SECTIONS[intent] }];
  if (intent === "InfoIntent" && !SECTION_IDS.has(slots.section)) {
    return ["InfoIntent", { ...slots, section: "about" }];
  }
  return [intent, slots];
}

function sectionId(types, heard) {
  // The SectionType id of a spoken section value (a value or synonym), else the words.
  for (const type of types) {
    if (type.name !== "SectionType") continue;
    for (const v of type.values || []) {
      const names = [v.name.value].concat(v.name.synonyms || []).map((n) => n.toLowerCase());
      if (v.id === heard || names.includes(String(heard).toLowerCase())) return v.id;
    }
  }
  return heard;
}

function sameRequest(types, utterance, item, byName) {
  // The matched intent and slots against the expected ones.
  const intent = utterance.intent();
  if (byName) return intent === item.intent && slotOk(types, utterance, item.slots);
  const got = { ...(utterance.toJSON() || {}) };
  if (got.section !== undefined) got.section = sectionId(types, got.section);
  const want = Object.fromEntries(Object.entries(item.slots || {}).map(([k, v]) => [k, String(v)]));
  const [gotIntent, gotSlots] = asInfoRequest(intent, got);
  const [wantIntent, wantSlots] = asInfoRequest(item.intent, want);
  if (gotIntent !== wantIntent) return false;
  const { section: wantSection, ...rest } = wantSlots;
  if (wantSection !== undefined && gotSlots.section !== wantSection) return false;
  return slotOk(types, utterance, rest);
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

function score(modelFile, yamlFile, byName) {
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
          : sameRequest(types, u, item, byName);
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

const flags = process.argv.slice(2).filter((a) => a.startsWith("--"));
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const known = ["--numbers-as-is", "--names-as-is", "--fillers-as-is"];
if (args.length < 2 || flags.some((f) => !known.includes(f))) usage();
keepFillers = flags.includes("--fillers-as-is");
if (!flags.includes("--numbers-as-is")) teachNumbers();
const [modelFile, ...files] = args;
for (const f of files) score(modelFile, f, flags.includes("--names-as-is"));
