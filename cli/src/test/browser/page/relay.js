// Reads one relayed stream twice, as a browser application would: with EventSource (GET, named
// events, the browser's own parser) and with fetch + ReadableStream (POST with a JSON body, as a
// gateway's clients send, parsed here). Each reader renders the text deltas into its section and
// ends in a state BrowserRelayTest reads (see index.html).
//
// The stream is the page's origin at ?stream=PATH (default /v1/messages): sluice relay serves
// this page and relays every other request, so neither reader needs CORS.

const stream = new URLSearchParams(location.search).get('stream') ?? '/v1/messages';

function finish(section, state, error) {
  if (section.dataset.state !== 'reading') {
    return;
  }
  if (error) {
    section.querySelector('.error').textContent = error;
  }
  section.dataset.state = state;
}

/** The text an event adds: Anthropic's text_delta, or an OpenAI chat chunk's delta.content. */
function textOf(type, data) {
  if (type === 'content_block_delta') {
    const delta = JSON.parse(data).delta;
    return delta.type === 'text_delta' ? delta.text : '';
  }
  if (type === 'message') {
    const choice = JSON.parse(data).choices?.[0];
    return choice?.delta?.content ?? '';
  }
  return '';
}

/**
 * Renders one event; true when it is the stream's last. The relay's own failure and a provider's
 * in-stream failure are both `event: error` with {"type":"error","error":{"type":...}}: the page
 * shows error.type.
 */
function render(section, type, data) {
  try {
    if (type === 'error') {
      finish(section, 'error', JSON.parse(data).error.type);
      return true;
    }
    if (type === 'message_stop' || (type === 'message' && data === '[DONE]')) {
      finish(section, 'done');
      return true;
    }
    const text = textOf(type, data);
    if (text) {
      section.querySelector('.text').append(text);
    }
    return false;
  } catch (e) {
    finish(section, 'error', `page: ${type}: ${e.message}`);
    return true;
  }
}

function readWithEventSource(section) {
  const source = new EventSource(stream);
  const onEvent = e => {
    if (render(section, e.type, e.data)) {
      source.close(); // the stream is over: without this, EventSource reconnects and reads it again
    }
  };
  for (const type of ['message', 'content_block_delta', 'message_stop']) {
    source.addEventListener(type, onEvent);
  }
  // 'error' is both the stream's named error event (a MessageEvent with data) and EventSource's
  // own connection failure (a plain Event): the first is rendered, the second ends the reader.
  // An answer that is not a 200 event stream (an upstream's 529, relayed as it came, or the
  // relay's 502) fails the EventSource for good (CLOSED, no reconnect), and it cannot see why.
  source.addEventListener('error', e => {
    if (e instanceof MessageEvent) {
      onEvent(e);
    } else if (source.readyState === EventSource.CLOSED) {
      finish(section, 'refused', 'not an event stream');
    } else {
      source.close();
      finish(section, 'closed', 'connection closed before the last event');
    }
  });
}

/**
 * WHATWG event stream framing over decoded text: lines end at CRLF, LF or CR; a blank line
 * dispatches; "field: value" loses one leading space; comments and id/retry are not needed here.
 * push returns true once onEvent says the stream is over.
 */
class SseFrames {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.pending = '';
    this.type = '';
    this.data = null;
  }

  push(text) {
    const buffer = this.pending + text;
    let start = 0;
    for (;;) {
      let end = start;
      while (end < buffer.length && buffer[end] !== '\n' && buffer[end] !== '\r') {
        end++;
      }
      if (end === buffer.length || (buffer[end] === '\r' && end + 1 === buffer.length)) {
        break; // no line end yet, or a CR whose LF may be in the next chunk
      }
      const line = buffer.slice(start, end);
      start = end + (buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1);
      if (this.line(line)) {
        return true;
      }
    }
    this.pending = buffer.slice(start);
    return false;
  }

  line(line) {
    if (line === '') {
      if (this.data === null) {
        this.type = '';
        return false;
      }
      const type = this.type || 'message';
      const data = this.data;
      this.type = '';
      this.data = null;
      return this.onEvent(type, data);
    }
    if (line.startsWith(':')) {
      return false;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      this.type = value;
    } else if (field === 'data') {
      this.data = this.data === null ? value : `${this.data}\n${value}`;
    }
    return false;
  }
}

async function readWithFetch(section) {
  try {
    const response = await fetch(stream, {
      method: 'POST',
      headers: {'content-type': 'application/json', accept: 'text/event-stream'},
      body: JSON.stringify({stream: true, messages: [{role: 'user', content: 'Hello'}]}),
    });
    if (!response.ok) {
      // The upstream's own status and error body, or the relay's 502/504 in the same shape.
      let type = '';
      try {
        type = (await response.json()).error?.type ?? '';
      } catch (e) {
        type = 'no JSON error body';
      }
      finish(section, 'refused', `${response.status} ${type}`);
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const frames = new SseFrames((type, data) => render(section, type, data));
    const start = performance.now();
    const times = [];
    for (;;) {
      const {value, done} = await reader.read();
      if (done) {
        break;
      }
      // When each read came, in ms from the head: a relay that held the stream back would
      // deliver it all at once, at its end.
      times.push(Math.round(performance.now() - start));
      section.dataset.reads = times.length;
      section.dataset.readTimes = times.join(',');
      if (frames.push(value)) {
        await reader.cancel(); // the last event is in: hang up rather than wait for the close
        return;
      }
    }
    finish(section, 'closed', 'connection closed before the last event');
  } catch (e) {
    finish(section, 'closed', `fetch failed: ${e.message}`);
  }
}

readWithEventSource(document.getElementById('eventsource'));
readWithFetch(document.getElementById('fetch'));
