/* The digital employee's avatar: an SVG bank employee who blinks, breathes, speaks in lip sync and
 * listens hands-free. No libraries, no network beyond this server's /api/speak and /api/transcribe.
 *
 *   Avatar.mount(element, {name, greeting, primary, accent, speakUrl, transcribeUrl, endOfTurnMs})
 *   Avatar.speak(wavUrlOrBlob, mouthCurve, fps=30) -> Promise (resolves when playback ends or stops)
 *   Avatar.say(text, language)              fetch /api/speak (abortable) and speak the result
 *   Avatar.sayParts({key, sentences, done, session_id, turn_id}, language)
 *                                            speak a reply that grows while it streams: each new sentence is
 *                                            synthesized at once and played after the ones before it
 *   Avatar.markQuestionSent()                a spoken question was just sent: time this turn's stages
 *   Avatar.stop()                            stop speaking now
 *   Avatar.request()                         an AbortController that barge-in aborts (use it for chat fetches)
 *   Avatar.listen({onSpeechStart, onSpeechEnd, onTranscript, onError}) / Avatar.stopListening()
 *   Avatar.toggleHandsFree(button, callbacks) listen or stop, and mark the button (true when now on)
 *   Avatar.position()                        {time, frame, open, speaking}: the lip-sync state now
 *
 * Lip sync reads the audio element's currentTime on every animation frame and looks up the mouth curve
 * frame for that instant, so mouth and sound cannot drift apart (error <= one display frame + one curve
 * frame, about 50 ms).
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var state = {
    root: null, svg: null, mouth: null, lips: null, audio: null, curve: null, fps: 30, raf: 0,
    finish: null, blinkTimer: 0, controllers: [], config: {}, mic: null,
    turn: null,        // the reply being spoken by sayParts
    heard: null,       // {speechEnd, transcriptAt}: the last spoken question, in performance.now() ms
    pendingMarks: null // that question's marks, waiting for the reply that answers it
  };

  function figure(cfg) {
    var p = cfg.primary || "#12355b", a = cfg.accent || "#c8a24a";
    return '' +
      '<svg class="de-avatar-figure" viewBox="0 0 200 230" role="img" aria-label="' + esc(cfg.name || "") + '">' +
      '<circle cx="100" cy="100" r="96" fill="' + p + '" opacity="0.10"/>' +
      '<g class="de-body">' +
      '  <path d="M28 230 C30 182 58 166 100 162 C142 166 170 182 172 230 Z" fill="' + p + '"/>' +
      '  <path d="M84 164 L100 196 L116 164 Z" fill="#ffffff"/>' +
      '  <path d="M90 166 Q100 176 110 166 L106 182 Q100 186 94 182 Z" fill="' + a + '"/>' +
      '  <path d="M70 168 L100 214 L84 230 L58 230 Z" fill="#0d2440" opacity="0.35"/>' +
      '  <path d="M130 168 L100 214 L116 230 L142 230 Z" fill="#0d2440" opacity="0.35"/>' +
      '  <rect x="120" y="196" width="34" height="13" rx="2.5" fill="#ffffff" stroke="' + a + '" stroke-width="1.2"/>' +
      '  <text x="137" y="205.5" font-size="7" text-anchor="middle" fill="' + p + '" class="de-badge">' +
           esc(shortName(cfg.name)) + '</text>' +
      '</g>' +
      '<g class="de-head">' +
      '  <rect x="90" y="138" width="20" height="28" rx="8" fill="#e9b994"/>' +
      '  <path d="M52 92 C50 44 78 26 102 26 C130 26 152 46 148 96 C148 112 146 128 142 136 L58 136 C54 124 52 108 52 92 Z" fill="#2b1d16"/>' +
      '  <ellipse cx="100" cy="96" rx="38" ry="46" fill="#f4cfae"/>' +
      '  <ellipse cx="62" cy="100" rx="6" ry="9" fill="#efc19d"/>' +
      '  <ellipse cx="138" cy="100" rx="6" ry="9" fill="#efc19d"/>' +
      '  <path d="M62 78 C66 46 96 40 118 48 C132 54 140 66 140 80 C126 66 104 58 80 64 C72 66 66 72 62 78 Z" fill="#2b1d16"/>' +
      '  <path d="M76 82 Q85 77 94 81" stroke="#3b2a20" stroke-width="2.4" fill="none" stroke-linecap="round"/>' +
      '  <path d="M106 81 Q115 77 124 82" stroke="#3b2a20" stroke-width="2.4" fill="none" stroke-linecap="round"/>' +
      '  <g class="de-eyes">' +
      '    <g class="de-eye" style="transform-origin:85px 93px"><ellipse cx="85" cy="93" rx="5.2" ry="6" fill="#ffffff"/>' +
      '      <circle cx="85.6" cy="93.6" r="3.6" fill="#3a2a1e"/><circle cx="86.8" cy="92.2" r="1.1" fill="#ffffff"/></g>' +
      '    <g class="de-eye" style="transform-origin:115px 93px"><ellipse cx="115" cy="93" rx="5.2" ry="6" fill="#ffffff"/>' +
      '      <circle cx="115.6" cy="93.6" r="3.6" fill="#3a2a1e"/><circle cx="116.8" cy="92.2" r="1.1" fill="#ffffff"/></g>' +
      '  </g>' +
      '  <path d="M100 98 Q97 108 99 111 Q101 112 103 111" stroke="#d9a27f" stroke-width="1.8" fill="none" stroke-linecap="round"/>' +
      '  <ellipse cx="76" cy="112" rx="7" ry="4" fill="#f29d8f" opacity="0.35"/>' +
      '  <ellipse cx="124" cy="112" rx="7" ry="4" fill="#f29d8f" opacity="0.35"/>' +
      '  <g class="de-mouth" transform="translate(100 122)">' +
      '    <ellipse class="de-mouth-open" cx="0" cy="1" rx="9" ry="1" fill="#7a2e2e"/>' +
      '    <path class="de-lips" d="M-11 0 Q0 5 11 0" stroke="#c0605a" stroke-width="2.6" fill="none" stroke-linecap="round"/>' +
      '  </g>' +
      '</g>' +
      '</svg>';
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function shortName(name) {
    var n = String(name || "").trim();
    return n.split(/\s+/)[0].slice(0, 8);
  }

  function readConfig(el) {
    var d = el.dataset || {};
    return {
      name: d.name || "", greeting: d.greeting || "", primary: d.primary, accent: d.accent,
      speakUrl: d.speakUrl || "/api/speak", transcribeUrl: d.transcribeUrl || "/api/transcribe",
      endOfTurnMs: parseInt(d.endOfTurnMs || "700", 10)
    };
  }

  function mount(el, cfg) {
    if (typeof el === "string") { el = document.getElementById(el) || document.querySelector(el); }
    if (!el || el.dataset.deMounted === "1") { return; }
    cfg = Object.assign(readConfig(el), cfg || {});
    el.dataset.deMounted = "1";
    el.classList.add("de-avatar");
    el.innerHTML = figure(cfg) +
      '<div class="de-avatar-caption"><strong>' + esc(cfg.name) + '</strong>' +
      '<span class="de-avatar-greeting">' + esc(cfg.greeting) + '</span></div>' +
      '<div class="de-avatar-status" aria-live="polite"></div>';
    state.root = el;
    state.config = cfg;
    state.mouth = el.querySelector(".de-mouth-open");
    state.lips = el.querySelector(".de-lips");
    scheduleBlink();
    setMouth(0);
  }

  function scheduleBlink() {
    clearTimeout(state.blinkTimer);
    state.blinkTimer = setTimeout(function () {
      if (state.root) {
        state.root.classList.add("de-blink");
        setTimeout(function () { state.root && state.root.classList.remove("de-blink"); }, 140);
      }
      scheduleBlink();
    }, 2500 + Math.random() * 3500);
  }

  function setMouth(open) {
    if (!state.mouth) { return; }
    var o = Math.max(0, Math.min(1, open));
    state.open = o;
    state.mouth.setAttribute("ry", (1 + o * 8).toFixed(2));
    state.mouth.setAttribute("rx", (9 - o * 2).toFixed(2));
    // Lips part from a smile into an open "o" as the mouth opens.
    state.lips.setAttribute("d", "M-11 0 Q0 " + (5 + o * 9).toFixed(2) + " 11 0");
  }

  /* Where playback is and how open the mouth is now (for tests and debugging the sync). */
  function position() {
    var a = state.audio;
    return {time: a ? a.currentTime : null, frame: a ? Math.floor(a.currentTime * state.fps) : null,
            open: state.open || 0, speaking: !!a, curve: state.curve ? state.curve.length : 0};
  }

  function setStatus(text) {
    var s = state.root && state.root.querySelector(".de-avatar-status");
    if (s) { s.textContent = text || ""; }
  }

  function frame() {
    var a = state.audio;
    if (!a || !state.curve) { return; }
    var i = Math.floor(a.currentTime * state.fps);
    setMouth(i < state.curve.length ? state.curve[i] : 0);
    if (state.open > 0.05) { mark("first_mouth"); }
    state.raf = requestAnimationFrame(frame);
  }

  function speak(source, curve, fps) {
    stop();
    var url = source instanceof Blob ? URL.createObjectURL(source) : source;
    var audio = new Audio(url);
    state.audio = audio;
    state.curve = curve || [];
    state.fps = fps || 30;
    if (state.root) { state.root.classList.add("de-speaking"); }
    return new Promise(function (resolve) {
      state.finish = function () {
        if (source instanceof Blob) { URL.revokeObjectURL(url); }
        resolve();
      };
      audio.addEventListener("playing", function () { mark("first_audio"); });
      audio.addEventListener("ended", function () { stop(); });
      audio.addEventListener("error", function () { stop(); });
      audio.play().then(function () { state.raf = requestAnimationFrame(frame); }, function () { stop(); });
    });
  }

  function stop() {
    cancelAnimationFrame(state.raf);
    if (state.audio) { state.audio.pause(); state.audio = null; }
    state.curve = null;
    setMouth(0);
    if (state.root) { state.root.classList.remove("de-speaking"); }
    var finish = state.finish;
    state.finish = null;
    if (finish) { finish(); }
  }

  function request() {
    var c = new AbortController();
    state.controllers.push(c);
    return c;
  }

  function abortPending() {
    var cs = state.controllers;
    state.controllers = [];
    cs.forEach(function (c) { c.abort(); });
  }

  function base64Blob(b64, mime) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Blob([bytes], {type: mime || "audio/wav"});
  }

  /* Speak a reply sentence by sentence: the first sentence plays while the next ones are synthesized. */
  function say(text, language) {
    stop();
    abortPending();
    state.turn = null;
    var c = request();
    var queue = Promise.resolve();
    return fetch(state.config.speakUrl || "/api/speak", {
      method: "POST", headers: {"Content-Type": "application/json"}, signal: c.signal,
      body: JSON.stringify({text: text, language: language || null, stream: true})
    }).then(function (r) {
      if (!r.ok) { return r.json().then(function (e) { throw new Error(e.detail || r.statusText); }); }
      var reader = r.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return queue; }
          buffer += decoder.decode(chunk.value, {stream: true});
          var lines = buffer.split("\n");
          buffer = lines.pop();
          lines.filter(Boolean).forEach(function (line) {
            var s = JSON.parse(line);
            if (s.error) { throw new Error(s.error); }
            queue = queue.then(function () {
              if (c.signal.aborted) { return null; }
              return speak(base64Blob(s.audio_base64, s.mime), s.mouth, s.fps);
            });
          });
          return pump();
        });
      }
      return pump();
    });
  }

  /* A streamed reply: the server sends the sentences that passed its checks so far (same key, growing
   * list), then the whole list with done=true. Speech starts with the first checked sentence. */
  function sayParts(payload, language) {
    var turn = state.turn;
    if (!turn || turn.key !== payload.key) {
      stop();
      abortPending();
      turn = state.turn = {key: payload.key, queued: 0, queue: Promise.resolve(), synth: Promise.resolve(),
                           controller: request(),
                           marks: state.pendingMarks, done: null, reported: false, finished: false};
      state.pendingMarks = null;
    }
    var c = turn.controller;
    var parts = payload.sentences.slice(turn.queued);
    if (turn.queued === 0 && parts.length) {  // the first sentence's first clause is synthesised alone
      parts = firstClause(parts[0]).concat(parts.slice(1));
    }
    parts.forEach(function (sentence) {
      // One synthesis at a time, in order: on a small CPU box parallel ones slow the first one down
      // (and the LLM is still writing); playback of one overlaps the synthesis of the next.
      var speech = turn.synth = turn.synth.then(function () {
        if (c.signal.aborted) { return null; }
        return fetch(state.config.speakUrl || "/api/speak", {
          method: "POST", headers: {"Content-Type": "application/json"}, signal: c.signal,
          body: JSON.stringify({text: sentence, language: language || null})
        }).then(function (r) { return r.ok ? r.json() : null; });
      }).catch(function () { return null; });
      turn.queue = turn.queue.then(function () {
        return speech.then(function (s) {
          if (!s || c.signal.aborted || state.turn !== turn) { return null; }
          return speak(base64Blob(s.audio_base64, s.mime), s.mouth, s.fps);
        });
      }).catch(function () { return null; });
    });
    turn.queued = Math.max(turn.queued, payload.sentences.length);  // counts sentences, not parts
    if (payload.done && !turn.done) {
      turn.done = payload;
      turn.queue.then(function () { turn.finished = true; report(turn); });  // also if the mouth never moved
    }
  }

  /* A long first sentence split after its first clause: the voice starts sooner (the text was already
   * checked whole; only its synthesis is split, at a pause the listener expects anyway). */
  function firstClause(sentence) {
    var m = /^(.{6,}?[，,；;：:])(.{6,})$/.exec(sentence);
    return m ? [m[1], m[2]] : [sentence];
  }

  /* Time the stages of a spoken turn: marks are ms after the end of the customer's speech. */
  function markQuestionSent() {
    var h = state.heard;
    if (!h) { return; }
    state.heard = null;
    var now = performance.now();
    state.pendingMarks = {t0: h.speechEnd, end_of_turn: Math.round(h.endWait),
                          transcript: Math.round(h.transcriptAt - h.speechEnd),
                          question_sent: Math.round(now - h.speechEnd)};
  }

  function mark(name) {
    var turn = state.turn;
    if (!turn || !turn.marks || turn.marks[name] !== undefined) { return; }
    turn.marks[name] = Math.round(performance.now() - turn.marks.t0);
    report(turn);
  }

  function report(turn) {
    var m = turn.marks, d = turn.done;
    if (!m || !d || !d.turn_id || !d.session_id || turn.reported) { return; }
    if (m.first_mouth === undefined && !turn.finished) { return; }  // still to come
    turn.reported = true;
    var body = {end_of_turn: m.end_of_turn, transcript: m.transcript, question_sent: m.question_sent,
                first_audio: m.first_audio === undefined ? null : m.first_audio,
                first_mouth: m.first_mouth === undefined ? null : m.first_mouth};
    fetch("/api/sessions/" + encodeURIComponent(d.session_id) + "/turns/" + d.turn_id + "/voice-timings", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
    }).catch(function () { return null; });
  }

  /* Hands-free listening: an energy VAD over the microphone. Speech start interrupts the avatar (barge-in)
   * and aborts pending requests; speech end uploads the recording to /api/transcribe. */
  function listen(callbacks) {
    callbacks = callbacks || {};
    stopListening();
    return navigator.mediaDevices.getUserMedia({audio: {echoCancellation: true, noiseSuppression: true}})
      .then(function (stream) {
        var ctx = new (window.AudioContext || window.webkitAudioContext)();
        var analyser = ctx.createAnalyser();
        analyser.fftSize = 1024;
        ctx.createMediaStreamSource(stream).connect(analyser);
        var buf = new Float32Array(analyser.fftSize);
        var mime = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].filter(function (m) {
          return window.MediaRecorder && MediaRecorder.isTypeSupported(m);
        })[0] || "";
        var mic = {stream: stream, ctx: ctx, timer: 0, recorder: null, chunks: [], floor: 0.005,
                   above: 0, below: 0, speaking: false, hearing: []};
        state.mic = mic;
        var endMs = state.config.endOfTurnMs || 700, stepMs = 20, MAX_IDLE_RECORDING_MS = 15000;

        // The recorder runs all the time, so a turn's recording holds the quiet start of its first word
        // (the VAD fires only after 150 ms of loud frames); Whisper's own VAD trims the silence before it.
        function startRecorder() {
          var chunks = [];  // this recorder's own: the next one starts before this one's last data arrives
          mic.chunks = chunks;
          mic.startedAt = performance.now();
          mic.recorder = new MediaRecorder(stream, mime ? {mimeType: mime} : undefined);
          mic.recorder.ondataavailable = function (e) { if (e.data.size) { chunks.push(e.data); } };
          mic.recorder.start(100);
        }

        function finishRecording(upload) {
          var rec = mic.recorder, chunks = mic.chunks;
          mic.recorder = null;
          if (!rec) { return; }
          rec.onstop = function () {
            if (!upload) { return; }
            var blob = new Blob(chunks, {type: rec.mimeType || "audio/webm"});
            if (callbacks.onSpeechEnd) { callbacks.onSpeechEnd(blob); }
            var heard = {speechEnd: mic.endedAt, endWait: mic.endWait, transcriptAt: 0};
            var form = new FormData();
            form.append("audio", blob, "speech." + (blob.type.indexOf("ogg") >= 0 ? "ogg" :
                                                      blob.type.indexOf("mp4") >= 0 ? "m4a" : "webm"));
            setStatus("…");
            // Not request(): barge-in drops the avatar's answer, never the customer's own earlier words
            // (a customer who pauses and goes on would lose the question Whisper is still hearing).
            var hearing = new AbortController();
            mic.hearing.push(hearing);
            fetch(state.config.transcribeUrl || "/api/transcribe", {method: "POST", body: form, signal: hearing.signal})
              .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.detail); } return j; }); })
              .then(function (t) {
                setStatus("");
                heard.transcriptAt = performance.now();
                state.heard = heard;
                if (callbacks.onTranscript) { callbacks.onTranscript(t); }
              })
              .catch(function (e) { setStatus(""); if (e.name !== "AbortError" && callbacks.onError) { callbacks.onError(e); } });
          };
          rec.stop();
        }

        startRecorder();
        mic.timer = setInterval(function () {
          analyser.getFloatTimeDomainData(buf);
          var sum = 0;
          for (var i = 0; i < buf.length; i++) { sum += buf[i] * buf[i]; }
          var rms = Math.sqrt(sum / buf.length);
          var threshold = Math.max(0.012, mic.floor * 3);
          if (rms > threshold) {
            mic.above += stepMs; mic.below = 0;
            if (!mic.speaking && mic.above >= 150) {
              mic.speaking = true;
              stop();            // barge-in: the customer talks over the avatar
              abortPending();    // and whatever answer was on its way is dropped
              setStatus("🎙");
              if (callbacks.onSpeechStart) { callbacks.onSpeechStart(); }
            }
          } else {
            mic.floor = mic.floor * 0.995 + rms * 0.005;  // track the room's noise floor slowly
            mic.below += stepMs;
            if (!mic.speaking && mic.below > 300) { mic.above = 0; }  // a short noise, not speech
            if (!mic.speaking && performance.now() - mic.startedAt > MAX_IDLE_RECORDING_MS) {
              finishRecording(false); startRecorder();  // keep the silence before a turn short
            }
            if (mic.speaking && mic.below >= endMs) {
              mic.speaking = false; mic.above = 0;
              mic.endedAt = performance.now() - mic.below;  // the speech ended when the silence began
              mic.endWait = mic.below;
              finishRecording(true); startRecorder();
            }
          }
        }, stepMs);
        return mic;
      });
  }

  /* A hands-free on/off button: on, listen (callbacks as for listen); off, stop. True when now on. */
  function toggleHandsFree(button, callbacks) {
    var on = !state.mic;
    if (button) { button.classList.toggle("de-listening", on); }
    if (!on) { stopListening(); return false; }
    listen(callbacks).catch(function (e) {  // no microphone, or permission refused
      if (button) { button.classList.remove("de-listening"); }
      setStatus(String(e && e.message || e));
      if (callbacks && callbacks.onError) { callbacks.onError(e); }
    });
    return true;
  }

  function stopListening() {
    var mic = state.mic;
    state.mic = null;
    if (!mic) { return; }
    clearInterval(mic.timer);
    mic.hearing.forEach(function (c) { c.abort(); });  // hands-free off: what was still being heard is dropped
    if (mic.recorder && mic.recorder.state !== "inactive") { mic.recorder.stop(); }
    mic.stream.getTracks().forEach(function (t) { t.stop(); });
    mic.ctx.close();
    setStatus("");
  }

  function autoMount() {
    var found = document.querySelectorAll("[data-de-avatar]");
    for (var i = 0; i < found.length; i++) { mount(found[i]); }
  }

  window.Avatar = {
    mount: mount, speak: speak, say: say, sayParts: sayParts, markQuestionSent: markQuestionSent,
    stop: stop, request: request, abortPending: abortPending,
    listen: listen, stopListening: stopListening, toggleHandsFree: toggleHandsFree, setMouth: setMouth, position: position
  };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", autoMount); }
  else { autoMount(); }
  // Gradio renders components after load: mount avatars as they appear.
  new MutationObserver(autoMount).observe(document.documentElement, {childList: true, subtree: true});
})();
