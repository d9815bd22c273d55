// The loopback SMSC for the SMS tests and bench: the `smpp` npm package's server (node-smpp) with an SMSC's
// behaviour around it. It binds transceivers, answers submit_sm with a message id, and sends an SMPP 3.4
// delivery receipt (Appendix B) for every accepted part; receipts a session did not acknowledge are kept and
// delivered to the next session that binds with the same system_id, as an SMSC's store-and-forward does.
// Every accepted part is written to LOG as one JSON line, so a test can count what the SMSC received.
//
// Environment: PORT (0: any; the port is printed as "listening <port>"), LOG (file), SYSTEM_ID / PASSWORD,
// DROP_AFTER (close the connection, without answering, on that submit_sm, once), RECEIPTS ("0": none).
// TLS_KEY / TLS_CERT (PEM files): speak SMPP over TLS, as node-smpp's server does when given a key and certificate.
// THROTTLE ("<n>/<ms>"): take at most n submit_sm in each period of ms milliseconds and answer the others
// ESME_RTHROTTLED (SMPP 3.4 §5.1.3), as an SMSC enforcing a client's rate does; each refusal is a LOG line
// {"throttled": <destination>}. node-smpp's server has no such option, so it is done here.
'use strict';
const fs = require('fs');
const smpp = require('smpp');

const systemId = process.env.SYSTEM_ID || 'dangjian';
const password = process.env.PASSWORD || 'secret';
const dropAfter = parseInt(process.env.DROP_AFTER || '0', 10);
const receipts = process.env.RECEIPTS !== '0';
const log = process.env.LOG ? fs.createWriteStream(process.env.LOG, {flags: 'a'}) : null;
const pending = [];  // receipts not yet acknowledged by any session
let submits = 0;
let dropped = false;
let nextId = 1;
let bound = null;
const [throttleMax, throttleMs] = (process.env.THROTTLE || '0/1000').split('/').map((x) => parseInt(x, 10));
let periodStart = 0;
let inPeriod = 0;

function throttled() {
  if (!throttleMax) return false;
  const now = Date.now();
  if (now - periodStart >= throttleMs) { periodStart = now; inPeriod = 0; }
  inPeriod += 1;
  return inPeriod > throttleMax;
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function sendReceipt(session, r) {
  session.deliver_sm(r, (resp) => {
    if (resp.command_status === 0) {
      const i = pending.indexOf(r);
      if (i >= 0) pending.splice(i, 1);
    }
  });
}

const tlsFiles = process.env.TLS_CERT
  ? {key: fs.readFileSync(process.env.TLS_KEY), cert: fs.readFileSync(process.env.TLS_CERT)}
  : {};
const server = smpp.createServer(tlsFiles, (session) => {
  session.on('error', () => {});
  session.on('bind_transceiver', (pdu) => {
    if (pdu.system_id !== systemId || pdu.password !== password) {
      session.send(pdu.response({command_status: smpp.ESME_RBINDFAIL}));
      session.close();
      return;
    }
    session.send(pdu.response({system_id: 'loopback-smsc'}));
    bound = session;
    for (const r of pending.slice()) sendReceipt(session, r);
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('submit_sm', (pdu) => {
    submits += 1;
    if (dropAfter && !dropped && submits === dropAfter) {
      dropped = true;
      session.socket.destroy();
      return;
    }
    if (throttled()) {
      if (log) log.write(JSON.stringify({throttled: pdu.destination_addr}) + '\n');
      session.send(pdu.response({command_status: smpp.ESME_RTHROTTLED}));
      return;
    }
    const id = (nextId++).toString(16).toUpperCase().padStart(10, '0');
    const sm = pdu.short_message;
    const text = typeof sm === 'object' && sm.message !== undefined ? String(sm.message) : String(sm);
    let ref = null, seq = 1, total = 1;
    if (sm && sm.udh) {
      for (const ie of sm.udh) if (ie[0] === 0x00) { ref = ie[2]; total = ie[3]; seq = ie[4]; }
    }
    if (log) log.write(JSON.stringify({id, dst: pdu.destination_addr, ref, seq, total, text}) + '\n');
    session.send(pdu.response({message_id: id}));
    if (!receipts || !(pdu.registered_delivery & 1)) return;
    const now = stamp(new Date());
    const r = {
      source_addr: pdu.destination_addr,
      destination_addr: pdu.source_addr,
      esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
      short_message: `id:${id} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:`,
      receipted_message_id: id,
      message_state: smpp.MESSAGE_STATE.DELIVERED,
    };
    pending.push(r);
    sendReceipt(session, r);
  });
  session.on('close', () => { if (bound === session) bound = null; });
});

// A line "mo <mobile> <text>" on standard input sends that text to the bound session as a mobile-originated
// deliver_sm (a reply such as TD or 退订).
require('readline').createInterface({input: process.stdin}).on('line', (line) => {
  const m = /^mo (\S+) (.*)$/.exec(line);
  if (m && bound) bound.deliver_sm({source_addr: m[1], destination_addr: '10690000', data_coding: 8, short_message: m[2]});
});

process.on('SIGTERM', () => { if (log) log.end(() => process.exit(0)); else process.exit(0); });
server.listen(parseInt(process.env.PORT || '0', 10), '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
