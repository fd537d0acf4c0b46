/*
 * A minimal Jitsi Meet participant on Debian's strophe.js, driven by Tests/Interop/test_browser.py through the
 * Chrome DevTools Protocol (Runtime.evaluate). It does what lib-jitsi-meet does on the signalling path:
 *
 *   - connects with a bare domain JID, so Strophe picks SASL ANONYMOUS (LJM xmpp.ts `connect`);
 *   - over WebSocket, enables XEP-0198 with resumption when <sm xmlns='urn:xmpp:sm:3'/> is offered and answers
 *     the server's <r/> (LJM XmppConnection.ts `_maybeEnableStreamResume`);
 *   - joins a MUC room with Jitsi's presence extensions (built with Strophe's builder from a node tree, as
 *     LJM ChatRoom.ts builds its presence);
 *   - answers Jingle IQs and pings with a result carrying the request's id (strophe.jingle.js, strophe.ping);
 *   - sends groupchat messages and IQs with Strophe's sendIQ (ids `<uuid>:sendIQ` style).
 *
 * Every presence, message and IQ received is kept, serialized, in Harness.stanzas for the test to read.
 */
/* global Strophe, $pres, $msg, $iq, $build */
(function () {
    'use strict';

    var NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
    var NS_SM = 'urn:xmpp:sm:3';
    var NS_JINGLE = 'urn:xmpp:jingle:1';
    var NS_PING = 'urn:xmpp:ping';

    var H = {
        conn: null,
        service: null,
        statuses: [],
        stanzas: [],
        answered: [],
        errors: [],
        traffic: [],
        strophe12Session: false,
        sessionSkipped: false,
        sm: { offered: false, enabled: false, id: null, h: 0, requests: 0 }
    };
    window.Harness = H;

    /*
     * Debian's strophe.js is 1.2.14: it always sends the RFC 3921 session IQ when <session/> is advertised.
     * The Strophe lib-jitsi-meet ships (jitsi's 1.5 fork), like upstream Strophe since 1.3, skips it when the
     * feature carries <optional/> (draft-cridland-xmpp-session). connect(…, {strophe12Session: true}) keeps
     * 1.2.14's behaviour; by default the harness behaves like lib-jitsi-meet's Strophe.
     */
    var NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
    var originalAuth1 = Strophe.Connection.prototype._sasl_auth1_cb;
    Strophe.Connection.prototype._sasl_auth1_cb = function (elem) {
        var result = originalAuth1.call(this, elem);
        var session = elem.getElementsByTagNameNS(NS_SESSION, 'session')[0];
        if (!H.strophe12Session && session && session.getElementsByTagName('optional').length) {
            this.do_session = false;
            H.sessionSkipped = true;
        }
        return result;
    };

    window.addEventListener('error', function (event) {
        H.errors.push(String(event.message));
    });

    function clip(text) {
        text = String(text);
        return text.length > 1500 ? text.slice(0, 1500) + '…' : text;
    }

    function statusName(status) {
        for (var key in Strophe.Status) {
            if (Strophe.Status[key] === status) {
                return key;
            }
        }
        return String(status);
    }

    function build(builder, node) {
        builder.c(node.name, node.attrs || {});
        if (node.text) {
            builder.t(node.text);
        }
        (node.children || []).forEach(function (child) {
            build(builder, child);
        });
        builder.up();
    }

    function record(stanza) {
        H.stanzas.push(Strophe.serialize(stanza));
        if (H.sm.enabled) {
            H.sm.h += 1;
        }
        return true;
    }

    function onIq(iq) {
        record(iq);
        var type = iq.getAttribute('type');
        if (type !== 'get' && type !== 'set') {
            return true;
        }
        var jingle = iq.getElementsByTagNameNS(NS_JINGLE, 'jingle').length > 0;
        var ping = iq.getElementsByTagNameNS(NS_PING, 'ping').length > 0;
        if (jingle || ping) {
            H.answered.push({ id: iq.getAttribute('id'), from: iq.getAttribute('from'), xml: Strophe.serialize(iq) });
            H.conn.send($iq({ type: 'result', to: iq.getAttribute('from'), id: iq.getAttribute('id') }).tree());
        }
        return true;
    }

    /**
     * Connects and logs in (anonymously, or with options.jid and options.password); resolves with the bound JID once CONNECTED (and, over WebSocket with
     * options.streamManagement, once <enabled/> or <failed/> came back).
     */
    H.connect = function (service, domain, options) {
        options = options || {};
        H.service = service;
        H.strophe12Session = !!options.strophe12Session;
        return new Promise(function (resolve, reject) {
            var settled = false;
            var conn = new Strophe.Connection(service);
            H.conn = conn;
            conn.rawInput = function (data) {
                H.traffic.push('S: ' + clip(data));
            };
            conn.rawOutput = function (data) {
                H.traffic.push('C: ' + clip(data));
            };
            conn.addHandler(record, null, 'presence');
            conn.addHandler(record, null, 'message');
            conn.addHandler(onIq, null, 'iq');
            conn.addHandler(function (enabled) {
                H.sm.enabled = true;
                H.sm.id = enabled.getAttribute('id');
                H.sm.h = 0;
                if (!settled) {
                    settled = true;
                    resolve(conn.jid);
                }
                return true;
            }, NS_SM, 'enabled');
            conn.addHandler(function (failed) {
                H.errors.push('sm failed: ' + Strophe.serialize(failed));
                if (!settled) {
                    settled = true;
                    resolve(conn.jid);
                }
                return true;
            }, NS_SM, 'failed');
            conn.addHandler(function () {
                H.sm.requests += 1;
                conn.send($build('a', { xmlns: NS_SM, h: String(H.sm.h) }).tree());
                return true;
            }, NS_SM, 'r');
            var timer = setTimeout(function () {
                if (!settled) {
                    settled = true;
                    reject(new Error('not connected within 15 s; statuses ' + JSON.stringify(H.statuses)));
                }
            }, 15000);
            // options.jid + options.password: an account login (Strophe picks SCRAM-SHA-1); else ANONYMOUS.
            conn.connect(options.jid || domain, options.password || null, function (status, condition) {
                H.statuses.push([statusName(status), condition || null]);
                if (status === Strophe.Status.CONNECTED) {
                    var features = conn.features;
                    H.sm.offered = !!(features && features.getElementsByTagNameNS(NS_SM, 'sm').length);
                    var websocket = service.indexOf('ws:') === 0 || service.indexOf('wss:') === 0;
                    if (options.streamManagement && websocket && H.sm.offered) {
                        conn.send($build('enable', { xmlns: NS_SM, resume: 'true' }).tree());
                    } else if (!settled) {
                        settled = true;
                        clearTimeout(timer);
                        resolve(conn.jid);
                    }
                } else if (status === Strophe.Status.CONNFAIL || status === Strophe.Status.AUTHFAIL ||
                           status === Strophe.Status.ERROR ||
                           (status === Strophe.Status.DISCONNECTED && !settled)) {
                    if (!settled) {
                        settled = true;
                        clearTimeout(timer);
                        reject(new Error('connection failed: ' + statusName(status) + ' ' + (condition || '')));
                    }
                }
            });
        });
    };

    /** Joins a room: resolves with the self-presence (status 110), rejects on a presence error. */
    H.join = function (occupant, children) {
        return new Promise(function (resolve, reject) {
            var pres = $pres({ to: occupant });
            children.forEach(function (node) {
                build(pres, node);
            });
            var timer = setTimeout(function () {
                reject(new Error('no self-presence from ' + occupant + ' within 10 s'));
            }, 10000);
            H.conn.addHandler(function (presence) {
                if (presence.getAttribute('from') !== occupant) {
                    return true;
                }
                if (presence.getAttribute('type') === 'error') {
                    clearTimeout(timer);
                    reject(new Error('join refused: ' + Strophe.serialize(presence)));
                    return false;
                }
                var codes = Array.prototype.map.call(
                    presence.getElementsByTagNameNS(NS_MUC_USER, 'status'),
                    function (s) { return s.getAttribute('code'); });
                if (codes.indexOf('110') >= 0) {
                    clearTimeout(timer);
                    resolve(Strophe.serialize(presence));
                    return false;
                }
                return true;
            }, null, 'presence');
            H.conn.send(pres.tree());
        });
    };

    H.groupchat = function (room, body) {
        H.conn.send($msg({ to: room, type: 'groupchat' }).c('body').t(body).tree());
        return true;
    };

    /** Sends an IQ of `type` with the given children; resolves with {id, outcome, reply}. */
    H.sendIq = function (to, type, children, timeoutMs) {
        return new Promise(function (resolve) {
            var iq = $iq({ to: to, type: type });
            children.forEach(function (node) {
                build(iq, node);
            });
            var id = null;
            id = H.conn.sendIQ(iq.tree(), function (reply) {
                resolve({ id: id, outcome: 'result', reply: Strophe.serialize(reply) });
            }, function (reply) {
                resolve({ id: id, outcome: reply ? 'error' : 'timeout', reply: reply ? Strophe.serialize(reply) : null });
            }, timeoutMs || 8000);
        });
    };

    /** Leaves like lib-jitsi-meet: unavailable presence, then the transport's close; resolves when DISCONNECTED. */
    H.disconnect = function () {
        return new Promise(function (resolve) {
            if (!H.conn || !H.conn.connected) {
                resolve(false);
                return;
            }
            var timer = setTimeout(function () { resolve(false); }, 5000);
            var previous = H.conn.connect_callback;
            H.conn.connect_callback = function (status, condition) {
                H.statuses.push([statusName(status), condition || null]);
                if (status === Strophe.Status.DISCONNECTED) {
                    clearTimeout(timer);
                    resolve(true);
                } else if (previous) {
                    previous(status, condition);
                }
            };
            H.conn.disconnect('done');
        });
    };

    H.report = function () {
        return {
            service: H.service,
            statuses: H.statuses,
            errors: H.errors,
            sm: H.sm,
            sessionSkipped: H.sessionSkipped,
            traffic: H.traffic.slice(-40)
        };
    };
}());
