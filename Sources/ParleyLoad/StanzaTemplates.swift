import NIOCore
import ParleyXML

/// Every byte a client sends, serialized once per run: the hot path only copies these and writes a room number
/// and a nick between them.
///
/// Stanzas over WebSocket (RFC 7395 §3.3.3) and inside BOSH bodies (XEP-0206 §5) are stand-alone documents, so
/// they declare `xmlns='jabber:client'`; over TCP they inherit it from the stream header.
public final class StanzaTemplates: Sendable {
    // Stream level.
    public let streamOpen: ByteBuffer
    /// The stream header of the emulated focus, to its own host (`auth.meet.jitsi`).
    public let focusStreamOpen: ByteBuffer
    public let focusWebSocketOpen: ByteBuffer
    /// The focus's host.
    public let focusDomain: String
    public let streamClose: ByteBuffer
    public let webSocketOpen: ByteBuffer
    public let webSocketClose: ByteBuffer
    public let startTLS: ByteBuffer
    public let authAnonymous: ByteBuffer
    /// `<auth mechanism='PLAIN'>` up to its base64 payload, and its end tag.
    public let authPlainPrefix: [UInt8]
    public let authPlainSuffix: [UInt8]
    public let bind: ByteBuffer
    /// Bind with the resource `focus` (Jicofo's).
    public let bindFocus: ByteBuffer
    public let session: ByteBuffer
    /// XEP-0198 `<enable/>` with resumption, as Jitsi's web client sends it after bind.
    public let enableStreamManagement: ByteBuffer
    /// `<a xmlns='urn:xmpp:sm:3' h='` H `'/>`.
    public let ackOpen: [UInt8]
    public let ackClose: [UInt8]

    // Presence: `<presence to='` ROOM `/` NICK `'>` payload `</presence>`.
    public let presenceOpen: [UInt8]
    public let presenceAfterTo: [UInt8]
    public let joinPayload: [UInt8]
    /// The updates, in turn, so that successive presences differ as real ones do.
    public let updatePayloads: [[UInt8]]
    /// The fan-out's tag, last child of every update: `<load-tag xmlns='urn:parley:load'>` ID `</load-tag>`
    /// (`DeliveryTag`).
    public let tagOpen: [UInt8]
    public let tagClose: [UInt8]
    public let presenceClose: [UInt8]
    public let unavailable: [UInt8]

    // Room names: ROOM = roomPrefix + number + "@" + muc.
    public let roomPrefix: [UInt8]
    public let roomSuffix: [UInt8]
    public let nickPrefix: [UInt8]

    // Jitsi.
    /// `<iq type='set' id='conf' to='FOCUS'><conference … room='` ROOM `' …>…</conference></iq>`.
    public let conferenceOpen: [UInt8]
    public let conferenceClose: [UInt8]
    public let focusInitialPresence: ByteBuffer
    public let focusJoinPayload: [UInt8]
    /// `<iq type='result' id='` ID `' to='` FROM `'><conference … room='` ROOM `' ready='true' …/></iq>`.
    public let focusResultOpen: [UInt8]
    public let focusResultAfterID: [UInt8]
    public let focusResultAfterTo: [UInt8]
    public let focusResultClose: [UInt8]

    /// The size of one join presence on the wire (for reports), with a typical room and nick.
    public let joinPresenceBytes: Int

    public init(configuration: LoadConfiguration) {
        let ns = configuration.transport.stanzasDeclareNamespace ? " xmlns='jabber:client'" : ""
        let domain = configuration.domain
        func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

        func header(_ host: String) -> ByteBuffer {
            buffer(
                "<?xml version='1.0'?><stream:stream to='\(host)' xmlns='jabber:client' "
                    + "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>"
            )
        }
        func open(_ host: String) -> ByteBuffer {
            buffer("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='\(host)' version='1.0' xml:lang='en'/>")
        }
        let focusDomain = configuration.focusJID.map { String($0.drop(while: { $0 != "@" }).dropFirst()) } ?? domain
        self.focusDomain = focusDomain
        self.streamOpen = header(domain)
        self.focusStreamOpen = header(focusDomain)
        self.focusWebSocketOpen = open(focusDomain)
        self.streamClose = buffer("</stream:stream>")
        self.webSocketOpen = open(domain)
        self.webSocketClose = buffer("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
        self.startTLS = buffer("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.authAnonymous = buffer("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>")
        self.authPlainPrefix = Array("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>".utf8)
        self.authPlainSuffix = Array("</auth>".utf8)
        self.bind = buffer("<iq type='set' id='bind'\(ns)><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        self.bindFocus = buffer(
            "<iq type='set' id='bind'\(ns)><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<resource>focus</resource></bind></iq>"
        )
        self.session = buffer(
            "<iq type='set' id='sess'\(ns)><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
        )
        self.enableStreamManagement = buffer("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
        self.ackOpen = Array("<a xmlns='urn:xmpp:sm:3' h='".utf8)
        self.ackClose = Array("'/>".utf8)

        self.presenceOpen = Array("<presence\(ns) to='".utf8)
        self.presenceAfterTo = Array("'>".utf8)
        self.presenceClose = Array("</presence>".utf8)
        self.unavailable = Array("' type='unavailable'/>".utf8)
        switch configuration.presence {
        case .minimal:
            self.joinPayload = Array("<x xmlns='http://jabber.org/protocol/muc'/>".utf8)
            self.updatePayloads = [Array("<show>away</show>".utf8), Array("<show>xa</show>".utf8)]
        case .jitsi:
            self.joinPayload = Array(JitsiPresence.browserJoin.utf8)
            self.updatePayloads = JitsiPresence.browserUpdates.map { Array($0.utf8) }
        case .jitsiLarge:
            self.joinPayload = Array(
                ("<x xmlns='http://jabber.org/protocol/muc'/>" + JitsiPresence.large(sourceInfo: 0)).utf8
            )
            self.updatePayloads = [
                Array(JitsiPresence.large(sourceInfo: 1).utf8),
                Array(JitsiPresence.large(sourceInfo: 2).utf8),
            ]
        }
        self.tagOpen = Array("<load-tag xmlns='\(DeliveryTag.namespace)'>".utf8)
        self.tagClose = Array("</load-tag>".utf8)
        self.roomPrefix = Array(configuration.roomPrefix.utf8)
        self.roomSuffix = Array("@\(configuration.mucDomain)".utf8)
        self.nickPrefix = Array("u".utf8)

        let focus = configuration.resolvedFocusAddress
        self.conferenceOpen = Array(
            "<iq type='set' id='conf' to='\(focus)'\(ns)><conference xmlns='http://jitsi.org/protocol/focus' room='"
                .utf8
        )
        self.conferenceClose = Array(
            ("' machine-uid='c4f1a9e27b0d4e6f8a3c5b9d1e7f2a60'><property name='startAudioMuted' value='10'/>"
                + "<property name='startVideoMuted' value='10'/><property name='rtcstatsEnabled' value='false'/>"
                + "<property name='visitors-version' value='1'/></conference></iq>").utf8
        )
        self.focusInitialPresence = buffer(
            "<presence\(ns)><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://jitsi.org/jicofo' "
                + "ver='v3Xm0bq7Q8ZfA2cRkN1sE9yTgWo='/></presence>"
        )
        self.focusJoinPayload = Array(
            ("<x xmlns='http://jabber.org/protocol/muc'/><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                + "node='http://jitsi.org/jicofo' ver='v3Xm0bq7Q8ZfA2cRkN1sE9yTgWo='/>").utf8
        )
        self.focusResultOpen = Array("<iq type='result'\(ns) id=".utf8)
        self.focusResultAfterID = Array(" to=".utf8)
        self.focusResultAfterTo = Array("><conference xmlns='http://jitsi.org/protocol/focus' room='".utf8)
        let focusBare = configuration.focusJID ?? "focus@auth.\(domain)"
        self.focusResultClose = Array(
            ("' ready='true' focusjid='\(focusBare)'><property name='authentication' value='false'/>"
                + "<property name='visitors-supported' value='false'/></conference></iq>").utf8
        )

        let sampleRoom = configuration.roomPrefix + "12@" + configuration.mucDomain + "/u1234"
        self.joinPresenceBytes =
            self.presenceOpen.count + sampleRoom.utf8.count + self.presenceAfterTo.count + self.joinPayload.count
            + self.presenceClose.count
    }

    /// Parses every template as XML (once, before a run) so a typo can never reach a server.
    public func check() throws {
        var documents: [[UInt8]] = [
            Array(self.webSocketOpen.readableBytesView), Array(self.startTLS.readableBytesView),
            Array(self.authAnonymous.readableBytesView), Array(self.bind.readableBytesView),
            Array(self.bindFocus.readableBytesView), Array(self.session.readableBytesView),
            Array(self.enableStreamManagement.readableBytesView), self.ackOpen + Array("12".utf8) + self.ackClose,
            Array(self.focusInitialPresence.readableBytesView),
            self.presenceOpen + Array("r@m/n".utf8) + self.presenceAfterTo + self.joinPayload + self.presenceClose,
            self.conferenceOpen + Array("r@m".utf8) + self.conferenceClose,
            self.focusResultOpen + Array("'1' to='a@b/c'".utf8) + self.focusResultAfterTo + Array("r@m".utf8)
                + self.focusResultClose,
            self.presenceOpen + Array("r@m/n".utf8) + self.presenceAfterTo + self.focusJoinPayload + self.presenceClose,
        ]
        for update in self.updatePayloads {
            documents.append(
                self.presenceOpen + Array("r@m/n".utf8) + self.presenceAfterTo + update + self.tagOpen
                    + Array("42".utf8) + self.tagClose + self.presenceClose
            )
        }
        for document in documents {
            let parser = XMLStreamParser()
            let wrapped = Array("<r xmlns='jabber:client'>".utf8) + document + Array("</r>".utf8)
            _ = try parser.feed(wrapped)
        }
    }

    // MARK: - Composition

    /// Writes `ROOM` (`<prefix><room>@<muc>`).
    @inline(__always)
    public func writeRoom(_ room: Int, into buffer: inout ByteBuffer) {
        buffer.writeBytes(self.roomPrefix)
        Self.writeDecimal(room, into: &buffer)
        buffer.writeBytes(self.roomSuffix)
    }

    /// Writes `ROOM/NICK` for client `client` in room `room`.
    @inline(__always)
    public func writeOccupant(room: Int, client: Int, into buffer: inout ByteBuffer) {
        self.writeRoom(room, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "/"))
        buffer.writeBytes(self.nickPrefix)
        Self.writeDecimal(client, into: &buffer)
    }

    /// The join (or, with `update`, an update) presence of `client` to `room`.
    public func presence(room: Int, client: Int, payload: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: self.presenceOpen.count + payload.count + 64)
        buffer.writeBytes(self.presenceOpen)
        self.writeOccupant(room: room, client: client, into: &buffer)
        buffer.writeBytes(self.presenceAfterTo)
        buffer.writeBytes(payload)
        buffer.writeBytes(self.presenceClose)
        return buffer
    }

    /// A fan-out update of `client` to `room`: `payload`, then the tag that names this update (`DeliveryTag`).
    public func taggedPresence(
        room: Int,
        client: Int,
        payload: [UInt8],
        tag: Int,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(
            capacity: self.presenceOpen.count + payload.count + self.tagOpen.count + self.tagClose.count + 80
        )
        buffer.writeBytes(self.presenceOpen)
        self.writeOccupant(room: room, client: client, into: &buffer)
        buffer.writeBytes(self.presenceAfterTo)
        buffer.writeBytes(payload)
        buffer.writeBytes(self.tagOpen)
        Self.writeDecimal(max(0, tag), into: &buffer)
        buffer.writeBytes(self.tagClose)
        buffer.writeBytes(self.presenceClose)
        return buffer
    }

    /// The occupant JID `ROOM/NICK` as bytes, to recognise the client's own presences.
    public func occupantJID(room: Int, client: Int) -> [UInt8] {
        var buffer = ByteBuffer()
        self.writeOccupant(room: room, client: client, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    public func conferenceRequest(room: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: self.conferenceOpen.count + self.conferenceClose.count + 48)
        buffer.writeBytes(self.conferenceOpen)
        self.writeRoom(room, into: &buffer)
        buffer.writeBytes(self.conferenceClose)
        return buffer
    }

    /// XEP-0198's answer to `<r/>`: `<a h='h'/>`.
    public func ack(h: UInt32, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: self.ackOpen.count + self.ackClose.count + 10)
        buffer.writeBytes(self.ackOpen)
        Self.writeDecimal(Int(h), into: &buffer)
        buffer.writeBytes(self.ackClose)
        return buffer
    }

    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        precondition(value >= 0)
        if value < 10 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) &+ UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { storage in
            while rest > 0 && count < 12 {
                storage[11 - count] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                rest /= 10
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: storage[(12 - count)...]))
        }
    }
}
