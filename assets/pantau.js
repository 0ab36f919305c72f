/* Clientside pieces: the wall's clock and freshness mark, computed in the browser so the
   server's 1 s tick can send nothing when nothing changed. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pantau: {
    wallScale: function () {
      return Math.round(window.innerHeight / 1080 * 100) / 100;
    },
    wallClock: function (n, beat, setup) {
      var state = window.pantauBeat || (window.pantauBeat = {value: null, at: Date.now()});
      if (beat && beat !== state.value) { state.value = beat; state.at = Date.now(); }
      var age = (Date.now() - state.at) / 1000;
      // safety net for a TV left on for days: reload every 12 hours
      if (performance.now() > 12 * 3600 * 1000) { window.location.reload(); }
      var shown = state.value ? new Date(state.value) : new Date();
      var text = shown.toLocaleTimeString('id-ID', {timeZone: setup.zone, hour: '2-digit', minute: '2-digit',
                                                    second: '2-digit', hour12: false}) + ' ' + setup.label;
      return [text, (state.value && age <= setup.stale) ? 'fresh ok' : 'fresh stale'];
    }
  }
});
