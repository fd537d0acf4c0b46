/// XML namespaces Parley speaks. Never spell a namespace URI anywhere else.
public enum Namespace {
    public static let client = "jabber:client"
    public static let streams = "http://etherx.jabber.org/streams"
    public static let streamErrors = "urn:ietf:params:xml:ns:xmpp-streams"
    public static let stanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas"
    public static let tls = "urn:ietf:params:xml:ns:xmpp-tls"
    public static let sasl = "urn:ietf:params:xml:ns:xmpp-sasl"
    public static let bind = "urn:ietf:params:xml:ns:xmpp-bind"
    public static let session = "urn:ietf:params:xml:ns:xmpp-session"
    public static let roster = "jabber:iq:roster"
    public static let version = "jabber:iq:version"
    public static let discoInfo = "http://jabber.org/protocol/disco#info"
    public static let discoItems = "http://jabber.org/protocol/disco#items"
    public static let ping = "urn:xmpp:ping"
    public static let framing = "urn:ietf:params:xml:ns:xmpp-framing"
    public static let streamManagement = "urn:xmpp:sm:3"
    public static let caps = "http://jabber.org/protocol/caps"
    public static let muc = "http://jabber.org/protocol/muc"
    public static let mucUser = "http://jabber.org/protocol/muc#user"
    public static let mucAdmin = "http://jabber.org/protocol/muc#admin"
    public static let mucOwner = "http://jabber.org/protocol/muc#owner"
    public static let mucRoomConfig = "http://jabber.org/protocol/muc#roomconfig"
    public static let mucRoomInfo = "http://jabber.org/protocol/muc#roominfo"
    public static let dataForms = "jabber:x:data"
    public static let nick = "http://jabber.org/protocol/nick"
    public static let delay = "urn:xmpp:delay"
    /// XEP-0215 External Service Discovery (STUN and TURN servers, their credentials), version 0.7 and later.
    public static let externalServiceDiscovery = "urn:xmpp:extdisco:2"
    /// XEP-0215 before version 0.7; Prosody and lib-jitsi-meet still speak it as a fallback.
    public static let externalServiceDiscoveryLegacy = "urn:xmpp:extdisco:1"
    /// Jitsi's own namespace (`<json-message>`, `<room-does-not-exist>`, …).
    public static let jitmeet = "http://jitsi.org/jitmeet"
    /// Jitsi's conference IQ (`<conference xmlns='http://jitsi.org/protocol/focus' room='…'>`).
    public static let focus = "http://jitsi.org/protocol/focus"
}
