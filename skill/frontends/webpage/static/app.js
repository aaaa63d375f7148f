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

  function stopPlayback() {
    playToken += 1;
    if (current) { current.cancel(); current = null; }
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    var player = $("player");
    player.pause();
    ringIdle();
  }

  function sleep(ms, token) {
    return new Promise(function (resolve) {
      var id = setTimeout(done, ms);
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

  function sentences(text) {
    var parts = text.match(/[^.!?…]+[.!?…]*\s*/g) || [text];
    return parts.map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function speakOne(text, token) {
    return new Promise(function (resolve) {
      var synth = window.speechSynthesis;
      if (!synth || typeof window.SpeechSynthesisUtterance !== "function") { resolve(); return; }
      var u = new window.SpeechSynthesisUtterance(text);
      u.lang = locale;
      var voice = pickVoice(locale);
      if (voice) { u.voice = voice; }
      u.rate = 0.92;
      var finished = false;
      // Some browsers never fire "end" (no voices): move on after a generous estimate.
      var watchdog = setTimeout(finish, (3000 + text.length * 90) / SPEED);
      function finish() {
        if (finished) { return; }
        finished = true; clearTimeout(watchdog);
        if (current && current.id === token) { current = null; }
        resolve();
      }
      u.onend = finish;
      u.onerror = finish;
      current = { id: token, cancel: function () { synth.cancel(); finish(); } };
      synth.speak(u);
    });
  }

  async function speak(text, token) {
    if (!$("read-aloud").checked) { return; }
    var list = sentences(text);
    for (var i = 0; i < list.length; i++) {
      if (token !== playToken) { return; }
      await speakOne(list[i], token);
    }
  }

  function playClip(step, token) {
    return new Promise(function (resolve) {
      if (!$("read-aloud").checked) { resolve(); return; }
      var player = $("player");
      var settled = false;
      function finish(fallback) {
        if (settled) { return; }
        settled = true;
        player.onended = null; player.onerror = null;
        if (current && current.id === token) { current = null; }
        if (fallback && step.text && token === playToken) {
          speak(step.text, token).then(resolve);
        } else { resolve(); }
      }
      player.onended = function () { finish(false); };
      player.onerror = function () { finish(true); };
      current = { id: token, cancel: function () { player.pause(); finish(false); } };
      player.src = step.audio;
      player.playbackRate = SPEED > 1 ? 16 : 1;  // ?fast=1: clips too (16x is the maximum)
      var started = player.play();
      if (started && started.catch) { started.catch(function () { finish(true); }); }
    });
  }

  function ringIdle() {
    var ring = $("ring");
    ring.dataset.running = "0";
    ring.hidden = true;
  }

  function hold(ms, token) {
    var ring = $("ring"), bar = $("ring-bar"), secs = $("ring-seconds");
    var realMs = ms / SPEED;
    ring.hidden = false;
    ring.dataset.running = "1";
    ring.setAttribute("role", "timer");
    var start = performance.now();
    return new Promise(function (resolve) {
      var frame = 0, timer = 0, finished = false;
      function draw() {
        var elapsed = Math.min(realMs, performance.now() - start);
        var left = Math.max(0, ms - elapsed * SPEED);
        secs.textContent = String(Math.ceil(left / 1000));
        bar.setAttribute("stroke-dashoffset", String(RING_LENGTH * (elapsed / (realMs || 1))));
        ring.setAttribute("aria-label", t("hold") + " " + Math.ceil(left / 1000) + " " + t("seconds"));
        if (!finished) { frame = requestAnimationFrame(draw); }
      }
      function finish(completed) {
        if (finished) { return; }
        finished = true;
        cancelAnimationFrame(frame); clearTimeout(timer);
        if (current && current.id === token) { current = null; }
        if (completed) {
          ring.dataset.done = String(Number(ring.dataset.done || 0) + 1);
          bar.setAttribute("stroke-dashoffset", String(RING_LENGTH));
          secs.textContent = "0";
        }
        ring.dataset.running = "0";
        resolve();
      }
      current = { id: token, cancel: function () { finish(false); } };
      timer = setTimeout(function () { finish(true); }, realMs);
      draw();
    });
  }

  async function play(steps) {
    stopPlayback();
    var token = playToken;
    // A timed answer (a stretch session) shows each step large as it plays.
    var captions = steps.some(function (s) { return typeof s.pause_ms === "number"; });
    for (var i = 0; i < steps.length; i++) {
      if (token !== playToken) { return; }
      var step = steps[i];
      if (typeof step.pause_ms === "number") {
        await hold(step.pause_ms, token);
      } else if (step.audio) {
        ringIdle();
        if (step.text && captions) { $("now").textContent = step.text; }
        await playClip(step, token);
      } else if (step.say) {
        ringIdle();
        if (captions) { $("now").textContent = step.text || step.say; }
        await speak(step.say, token);
      }
    }
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
    var p = document.createElement("p");
    p.textContent = answer.text || "";
    box.appendChild(p);
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

  function say(text) {
    text = String(text || "").trim();
    if (!text) { return; }
    stopPlayback();
    $("heard").textContent = t("you_said") + " " + text;
    return post("/api/talk", { locale: locale, text: text });
  }

  /* The buttons send a control event (the skill's Pause/Resume/Stop intent), not words. */
  function control(event) {
    stopPlayback();
    $("heard").textContent = "";
    return post("/api/control", { locale: locale, event: event });
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
    $("pause").addEventListener("click", function () { stopPlayback(); control("pause"); });
    $("resume").addEventListener("click", function () { control("resume"); });
    $("stop").addEventListener("click", function () { stopPlayback(); control("stop"); });
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
