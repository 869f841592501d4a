// Opens ?n= EventSources (default 20) at once to the relayed stream (?stream=, default
// /v1/messages), each with a query of its own (i=1..n) so the browser shares nothing between them,
// and records for each when its open event fired, when its first message (an unnamed event) came
// and when the server ended it, in ms after they were all created (performance.now()).
// BrowserHttp2Test reads the report: over HTTP/2 every stream starts at once on one connection;
// over HTTP/1.1 the browser holds six connections per origin, so the seventh stream waits for one
// of the first six to end.
//
// The report, in the section's .text once every stream has ended:
//   {"protocol": "h2" | "http/1.1" (the page's own, as the browser fetched it),
//    "streams": [{"i", "opened", "first", "end", "messages"}]}   (times in ms, null if it never came)

const params = new URLSearchParams(location.search);
const count = Number(params.get('n') ?? 20);
const stream = params.get('stream') ?? '/v1/messages';
const section = document.getElementById('streams');
const start = performance.now();
const streams = [];

/** ms since the streams were created, to 0.1 ms: two streams' times compare in one clock. */
const now = () => Math.round((performance.now() - start) * 10) / 10;

function report() {
  const protocol = performance.getEntriesByType('navigation')[0]?.nextHopProtocol ?? '';
  return JSON.stringify({protocol, streams: streams.map(({i, opened, first, end, messages}) => ({i, opened, first, end, messages}))});
}

function finish(state, error) {
  if (section.dataset.state !== 'reading') {
    return;
  }
  for (const s of streams) {
    s.source.close();
  }
  section.querySelector('.text').textContent = report();
  section.querySelector('.error').textContent = error ?? '';
  section.dataset.state = state;
}

function show(s) {
  s.item.textContent = `open ${s.opened ?? '-'} ms, first message ${s.first ?? '-'} ms, `
    + `${s.messages} messages, end ${s.end ?? '-'} ms`;
}

for (let i = 1; i <= count; i++) {
  const url = new URL(stream, location.href);
  url.searchParams.set('i', i);
  const s = {i, opened: null, first: null, end: null, messages: 0, source: new EventSource(url)};
  s.item = section.querySelector('.live').appendChild(document.createElement('li'));
  streams.push(s);
  s.source.addEventListener('open', () => {
    s.opened = now();
    show(s);
  });
  s.source.addEventListener('message', () => {
    if (s.first === null) {
      s.first = now();
    }
    s.messages++;
    show(s);
  });
  // 'error' is three things: an `event: error` in the stream (the relay's or the upstream's: a
  // MessageEvent, a failure here); an answer that is not an event stream (CLOSED for good, a
  // failure); or the server ending the stream (CONNECTING: EventSource would reconnect, so the
  // page closes it and records the end; BrowserHttp2Test checks every stream had all its events).
  s.source.addEventListener('error', e => {
    if (e instanceof MessageEvent) {
      finish('error', `stream ${i}: an error event: ${e.data}`);
    } else if (s.source.readyState === EventSource.CLOSED) {
      finish('error', `stream ${i}: not an event stream`);
    } else {
      s.end = now();
      s.source.close();
      show(s);
      if (streams.length === count && streams.every(t => t.end !== null)) {
        finish('done');
      }
    }
  });
}
