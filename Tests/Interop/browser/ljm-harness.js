// Drives Jitsi's own client library (lib-jitsi-meet) against Parley for test_lib_jitsi_meet.py: connect over
// WebSocket, join a conference (the test plays the focus), and use the features Parley's components serve.
// Every conference event is recorded in LJM.events for the test to read.
'use strict';

const LJM = {
    connection: null,
    conference: null,
    events: [],
    record(name, ...args) {
        let detail;
        try { detail = JSON.stringify(args); } catch (e) { detail = String(args); }
        LJM.events.push({ name, detail: detail.slice(0, 2000), at: Date.now() });
    },

    // `muc`: the MUC host of the web config; a tenant's page says `muc.<tenant>.<domain>`.
    connect(serviceUrl, domain, muc) {
        JitsiMeetJS.setLogLevel(JitsiMeetJS.logLevels.WARN);
        JitsiMeetJS.init({});
        const options = {
            hosts: { domain, muc: muc || `muc.${domain}`, focus: `focus.${domain}` },
            serviceUrl,
        };
        return new Promise((resolve, reject) => {
            const connection = new JitsiMeetJS.JitsiConnection(null, null, options);
            const events = JitsiMeetJS.events.connection;
            connection.addEventListener(events.CONNECTION_ESTABLISHED, () => resolve('connected'));
            connection.addEventListener(events.CONNECTION_FAILED, (...a) => reject(new Error('failed ' + JSON.stringify(a))));
            LJM.connection = connection;
            connection.connect();
        });
    },

    // `extra`: more conference options (jitsi-meet joins a breakout room with `customDomain`).
    join(room, displayName, extra) {
        const conference = LJM.connection.initJitsiConference(room, { p2p: { enabled: false }, ...(extra || {}) });
        LJM.conference = conference;
        if (displayName) conference.setDisplayName(displayName);
        for (const [key, name] of Object.entries(JitsiMeetJS.events.conference)) {
            conference.on(name, (...args) => LJM.record(name, ...args));
        }
        return new Promise((resolve, reject) => {
            conference.on(JitsiMeetJS.events.conference.CONFERENCE_JOINED, () => resolve(conference.myUserId()));
            conference.on(JitsiMeetJS.events.conference.CONFERENCE_FAILED, e => reject(new Error('conference failed: ' + e)));
            conference.join();
        });
    },

    support() {
        const c = LJM.conference;
        const xmpp = LJM.connection.xmpp;
        return {
            endConference: c.isEndConferenceSupported(),
            avModeration: c.isAVModerationSupported(),
            speakerStatsAddress: xmpp.speakerStatsComponentAddress || null,
            pollsAddress: xmpp.pollsComponentAddress || null,
            pollsSupported: Boolean(c.getPolls && c.getPolls() && c.getPolls().isSupported()),
            moderator: c.isModerator(),
        };
    },

    waitFor(name, timeoutMs, containing) {
        return new Promise((resolve, reject) => {
            const start = Date.now();
            const tick = () => {
                const found = LJM.events.find(e => e.name === name && (!containing || e.detail.includes(containing)));
                if (found) return resolve(found);
                if (Date.now() - start > timeoutMs) return reject(new Error('no ' + name + ' within ' + timeoutMs + ' ms'));
                setTimeout(tick, 50);
            };
            tick();
        });
    },
};
window.LJM = LJM;
