/* Hälsporre web voice page. No third-party code; talks only to this server.
 * Plays the skill's answer as a playlist of steps: {say}, {audio, text}, {pause_ms}. */
(function () {
  "use strict";

  var config = { locales: [], default: "", languages: {}, labels: {} };  // GET /api/locales
  var params = new URLSearchParams(window.location.search);
  var SPEED = params.get("fast") === "1" ? 100 : 1;  // ?fast=1: pauses 100x faster (tests)
  var RING_LENGTH = 326.73;                           // 2 * pi * r (r = 52)

  var $ = function (id) { return document.getElementById(id); };
  var locale = "";
  var playToken = 0;
  var current = null;      // {cancel: fn} of the step now playing
  var recognition = null;
  var busy = false;
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition || null;

  /* The locale: ?lang=, else the first browser language the server knows (exactly, or by
   * its language's fallback), else the server's default. */
  function exact(tag) {
    var want = String(tag || "").toLowerCase();
    for (var i = 0; i < config.locales.length; i++) {
      if (config.locales[i].toLowerCase() === want) { return config.locales[i]; }
    }
    return null;
  }

  function pickLocale() {
    var asked = exact(params.get("lang"));
    if (asked) { return asked; }
    var langs = navigator.languages && navigator.languages.length ? navigator.languages
      : [navigator.language || ""];
    for (var i = 0; i < langs.length; i++) {
      var found = exact(langs[i]) || config.languages[String(langs[i]).split("-")[0].toLowerCase()];
      if (found) { return found; }
    }
    return config.default;
  }

  function t(key) { return (config.labels[locale] && config.labels[locale][key]) || key; }

  function applyLabels() {
    document.documentElement.lang = locale;
    document.title = t("page_title");
    var nodes = document.querySelectorAll("[data-label]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = t(nodes[i].getAttribute("data-label"));
    }
    var radios = document.querySelectorAll("input[name=locale]");
    for (var j = 0; j < radios.length; j++) { radios[j].checked = radios[j].value === locale; }
    setListening(false);
    if (!Recognition) { $("talk-hint").textContent = t("no_recognition"); }
  }

  function setStatus(text) { $("status").textContent = text || ""; }

  /* ---------------------------------------------------------------- playback */

  /* The answer plays as one timeline: every step starts at its start_ms (the plan's
   * times, the same Alexa's SSML keeps), whatever the browser's voice takes; a hold's
   * ring counts down from its start cue to its release, and the transcript grows as
   * the steps are played. `playing` says how far playback got (sent with a button). */
  var playing = null;      // {t0, total, index} of the answer now playing

  function clockNow() { return performance.now(); }

  function playedMs() {
    if (!playing) { return null; }
    return Math.max(0, Math.round((clockNow() - playing.t0) * SPEED));
  }

  function stopPlayback() {
    playToken += 1;
    if (current) { current.cancel(); current = null; }
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    var player = $("player");
    player.pause();
    ringIdle();
  }

  function until(at, token) {
    return new Promise(function (resolve) {
      var wait = at - clockNow();
      if (wait <= 0 || token !== playToken) { resolve(); return; }
      var id = setTimeout(done, wait);
      function done() { clearTimeout(id); if (current && current.id === token) { current = null; } resolve(); }
      current = { id: token, cancel: done };
    });
  }

  function pickVoice(lang) {
    if (!window.speechSynthesis || !window.speechSynthesis.getVoices) { return null; }
    var voices = window.speechSynthesis.getVoices() || [];
    var exact = null, near = null, prefix = lang.split("-")[0].toLowerCase();
    for (var i = 0; i < voices.length; i++) {
      var vl = String(voices[i].lang || "").replace("_", "-");
      if (vl.toLowerCase() === lang.toLowerCase()) { exact = exact || voices[i]; }
      else if (vl.toLowerCase().indexOf(prefix) === 0) { near = near || voices[i]; }
    }
    return exact || near;
  }

  /* Queue the words on the browser's voice (it says them in order; the timeline goes on). */
  function speak(text) {
    var synth = window.speechSynthesis;
    if (!$("read-aloud").checked || !synth ||
        typeof window.SpeechSynthesisUtterance !== "function") { return; }
    var u = new window.SpeechSynthesisUtterance(text);
    u.lang = locale;
    var voice = pickVoice(locale);
    if (voice) { try { u.voice = voice; } catch (e) { /* not a SpeechSynthesisVoice */ } }
    u.rate = 0.92;
    synth.speak(u);
  }

  /* A clip made by espeak-ng (the robotic offline voice: the manifest records each clip's
   * engine) is said by the browser's own voice of the page's language when it has one;
   * clips made with a real voice (gTTS ...) are always played. */
  function robotic(step) {
    return String(step.engine || "").split("+").indexOf("espeak") >= 0;
  }

  function playClip(step, token) {
    if (!$("read-aloud").checked) { return; }
    if (robotic(step) && step.text && pickVoice(locale)) { speak(step.text); return; }
    var player = $("player");
    player.onerror = function () { if (token === playToken && step.text) { speak(step.text); } };
    player.src = step.audio;
    player.playbackRate = SPEED > 1 ? 16 : 1;  // ?fast=1: clips too (16x is the maximum)
    var started = player.play();
    if (started && started.catch) { started.catch(function () { player.onerror(); }); }
  }

  function ringIdle() {
    var ring = $("ring");
    ring.dataset.running = "0";
    ring.hidden = true;
  }

  /* The ring counts the whole hold down, from its start cue (at `began`) to the release. */
  function ringHold(ms, began, token) {
    var ring = $("ring"), bar = $("ring-bar"), secs = $("ring-seconds");
    ring.hidden = false;
    ring.dataset.running = "1";
    ring.setAttribute("role", "timer");
    function draw() {
      if (token !== playToken || ring.dataset.running !== "1") { return; }
      var elapsed = Math.min(ms, (clockNow() - began) * SPEED);
      var left = Math.max(0, ms - elapsed);
      var shown = String(Math.ceil(left / 1000));
      if (secs.textContent !== shown) {
        secs.textContent = shown;
        ring.setAttribute("aria-label", t("hold") + " " + shown + " " + t("seconds"));
      }
      bar.setAttribute("stroke-dashoffset", String(RING_LENGTH * (elapsed / (ms || 1))));
      if (left > 0) { requestAnimationFrame(draw); }
    }
    draw();
  }

  function ringDone() {
    var ring = $("ring");
    if (ring.dataset.running !== "1") { return; }
    ring.dataset.done = String(Number(ring.dataset.done || 0) + 1);
    $("ring-bar").setAttribute("stroke-dashoffset", String(RING_LENGTH));
    $("ring-seconds").textContent = "0";
    ring.dataset.running = "0";
  }

  function transcript(text) {
    if (!text) { return; }
    var p = $("answer").querySelector("p");
    p.textContent = p.textContent ? p.textContent + " " + text : text;
  }

  function startStep(step, token, at) {
    var text = step.text || step.say || "";
    if (step.cue === "hold_start") { ringHold(step.hold_ms || 0, at, token); }
    if (step.cue === "hold_end") { ringDone(); }
    if (typeof step.pause_ms === "number") { return; }
    transcript(text);
    if (text) { $("now").textContent = text; }
    if (step.audio) { playClip(step, token); } else if (step.say) { speak(step.say); }
  }

  async function play(steps) {
    stopPlayback();
    var token = playToken;
    var last = steps.length ? steps[steps.length - 1] : null;
    var total = last ? last.start_ms + last.ms : 0;
    var t0 = clockNow();
    playing = { t0: t0, total: total, index: -1 };
    for (var i = 0; i < steps.length; i++) {
      var at = t0 + steps[i].start_ms / SPEED;
      await until(at, token);
      if (token !== playToken) { return; }
      playing.index = i;
      startStep(steps[i], token, at);
    }
    await until(t0 + total / SPEED, token);
    if (token === playToken) { ringIdle(); }
  }

  /* ---------------------------------------------------------------- the answer */

  /* A line's http(s) addresses (the configured booking page) become links. */
  function fillLine(li, line) {
    var parts = String(line).split(/(https?:\/\/[^\s,;:]+[^\s,;:.])/);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = document.createElement("a");
        a.href = part;
        a.textContent = part;
        a.rel = "noopener";
        li.appendChild(a);
      } else if (part) {
        li.appendChild(document.createTextNode(part));
      }
    });
  }

  function fillList(ul, items) {
    ul.textContent = "";
    items.forEach(function (line) {
      var li = document.createElement("li");
      fillLine(li, line);
      ul.appendChild(li);
    });
  }

  function show(answer) {
    var box = $("answer");
    box.textContent = "";
    box.appendChild(document.createElement("p"));  // grows as the steps are played
    $("now").textContent = "";

    var clinic = answer.clinic;
    if (clinic) {
      $("tel").setAttribute("href", clinic.tel);
      $("tel-number").textContent = clinic.phone;
      $("tel").setAttribute("aria-label", t("clinic_call") + " " + clinic.phone);
      fillList($("booking"), clinic.booking || []);
      $("clinic").hidden = false;
      $("card").hidden = true;
    } else {
      $("clinic").hidden = true;
      var card = answer.card;
      var said = (answer.text || "").replace(/\s+/g, " ");
      var news = card && card.lines ? card.lines.filter(function (line) {
        return said.indexOf(line.replace(/\s+/g, " ")) < 0;
      }) : [];
      if (news.length) {  // only what the answer did not already say
        $("card-title").textContent = card.title || t("card_heading");
        fillList($("card-lines"), card.lines);
        $("card").hidden = false;
      } else {
        $("card").hidden = true;
      }
    }
    setStatus(answer.session_open ? "" : t("session_closed"));
    play(answer.steps || []);
  }

  async function post(path, body) {
    busy = true;
    setStatus(t("waiting"));
    try {
      var res = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body)
      });
      var data = await res.json().catch(function () { return {}; });
      if (res.status === 429) { setStatus(t("busy")); return; }
      if (!res.ok) { setStatus(data.error || t("error")); return; }
      show(data);
    } catch (err) {
      setStatus(t("error"));
    } finally {
      busy = false;
    }
  }

  /* Where playback was when the user spoke or pressed a button (then it stops at once):
   * the server dates the request that far after the answer began, so the skill keeps
   * the exact place, as it does from Alexa's timestamps. */
  function interrupt(body) {
    var ms = playedMs();
    if (ms !== null) {
      body.played_ms = ms;
      body.step = playing.index;
    }
    stopPlayback();
    playing = null;
    return body;
  }

  function say(text) {
    text = String(text || "").trim();
    if (!text) { return; }
    var body = interrupt({ locale: locale, text: text });
    $("heard").textContent = t("you_said") + " " + text;
    return post("/api/talk", body);
  }

  /* The buttons send a control event (the skill's Pause/Resume/Stop intent), not words. */
  function control(event) {
    var body = interrupt({ locale: locale, event: event });
    $("heard").textContent = "";
    return post("/api/control", body);
  }

  /* ---------------------------------------------------------------- listening */

  function setListening(on) {
    var talk = $("talk");
    talk.setAttribute("aria-pressed", on ? "true" : "false");
    $("talk-label").textContent = t(on ? "talk_listening" : "talk");
  }

  function listen() {
    if (recognition) { recognition.stop(); return; }
    stopPlayback();  // like Alexa: waking it stops what it is saying
    if (!Recognition) {
      setStatus(t("no_recognition"));
      $("text").focus();
      return;
    }
    var rec = new Recognition();
    rec.lang = locale;
    rec.interimResults = true;
    rec.continuous = false;
    rec.maxAlternatives = 1;
    var finalText = "";
    rec.onresult = function (ev) {
      var interim = "";
      for (var i = ev.resultIndex; i < ev.results.length; i++) {
        if (ev.results[i].isFinal) { finalText += ev.results[i][0].transcript; }
        else { interim += ev.results[i][0].transcript; }
      }
      $("heard").textContent = t("you_said") + " " + (finalText || interim);
    };
    rec.onerror = function (ev) {
      if (ev.error === "not-allowed" || ev.error === "service-not-allowed") {
        setStatus(t("mic_denied"));
      } else if (ev.error === "no-speech") {
        setStatus(t("not_heard"));
      } else if (ev.error !== "aborted") {
        setStatus(t("no_recognition"));
      }
    };
    rec.onend = function () {
      recognition = null;
      setListening(false);
      if (finalText.trim()) { say(finalText); }
    };
    recognition = rec;
    setListening(true);
    setStatus("");
    try { rec.start(); } catch (err) { recognition = null; setListening(false); setStatus(t("no_recognition")); }
  }

  /* ---------------------------------------------------------------- wiring */

  function init() {
    applyLabels();
    $("talk").addEventListener("click", listen);
    $("type-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = $("text");
      var text = box.value;
      box.value = "";
      say(text);
    });
    $("pause").addEventListener("click", function () { control("pause"); });
    $("resume").addEventListener("click", function () { control("resume"); });
    $("stop").addEventListener("click", function () { control("stop"); });
    $("start").addEventListener("click", function () {
      stopPlayback();
      $("heard").textContent = "";
      post("/api/start", { locale: locale });
    });
    $("read-aloud").addEventListener("change", function () {
      if (!this.checked) { stopPlayback(); }
    });
    var radios = document.querySelectorAll("input[name=locale]");
    for (var i = 0; i < radios.length; i++) {
      radios[i].addEventListener("change", function () {
        if (!this.checked) { return; }
        stopPlayback();
        locale = this.value;
        applyLabels();
        setStatus("");
      });
    }
    if (window.speechSynthesis && window.speechSynthesis.getVoices) {
      window.speechSynthesis.getVoices();  // starts loading the voice list
    }
    document.body.dataset.ready = "1";
  }

  fetch("/api/locales", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) { config = data; })
    .catch(function () { /* labels fall back to their keys */ })
    .then(function () { locale = pickLocale(); init(); });
}());
