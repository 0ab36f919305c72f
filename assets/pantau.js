/* Clientside pieces: the wall's clock and freshness mark, computed in the browser so the
   server's 1 s tick can send nothing when nothing changed. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pantau: {
    // the screen against 1920x1080 (the same unit as the wall's CSS, --u): looked at on every
    // tick, so a window resized or moved to a 4K screen redraws its charts at the new size
    wallScale: function (setup, n, current) {
      var w = window.innerWidth, h = window.innerHeight;
      // a TV: its 16:9 share of 1920x1080, never under it (pantau.css keeps --u at 24 px / 2.3 on
      // smaller or non-16:9 screens too); a phone in portrait (max-width 760px): its width
      var scale = Math.round((w <= 760 ? w / 700 : Math.max(Math.min(h / 1080, w / 1920), 1)) * 100) / 100;
      return scale === current ? window.dash_clientside.no_update : scale;
    },
    wallClock: function (n, beat, setup) {
      var state = window.pantauBeat || (window.pantauBeat = {value: null, at: Date.now()});
      if (beat && beat !== state.value) { state.value = beat; state.at = Date.now(); }
      var age = (Date.now() - state.at) / 1000;
      // safety net for a TV left on for days: reload every 12 hours
      if (performance.now() > 12 * 3600 * 1000) { window.location.reload(); }
      if (!state.value) { return ['--:--', 'fresh wait', '', 'wall-status']; }  // just loaded: no answer yet
      // the server's time (the demo clock too), as of its last answer
      var last = new Date(state.value).toLocaleTimeString(
        'id-ID', {timeZone: setup.zone, hour: '2-digit', minute: '2-digit', hour12: false});
      if (age > (setup.lost || 30)) {   // the server has not answered for a while: say so, in words
        return [window.pantauClockText || '--:--', age > setup.stale ? 'fresh stale' : 'fresh wait',
                'Koneksi terputus · data terakhir ' + last, 'wall-status lost'];
      }
      // HH.MM as Indonesians write it (id-ID: a dot); seconds would flicker across the room for nothing
      window.pantauClockText = last + ' ' + setup.label;
      return [window.pantauClockText, 'fresh ok', 'diperbarui ' + last, 'wall-status'];
    }
  }
});
