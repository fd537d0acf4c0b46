import NIOCore

/// The emulated focus (Jicofo, `focus@auth.meet.jitsi/focus`) of the jitsi scenario: it answers each conference
/// IQ with `ready='true'` once it has joined the room as `focus`, which is what a real Jicofo does before a
/// participant may join (jitsi-requirements §3.3).
extension LoadClient {
    func focusReceived(_ element: ElementView) {
        guard let focus = self.focus else { return }
        if element.isNamed("iq") {
            if element.attribute("type", is: "set") && element.contains("http://jitsi.org/protocol/focus") {
                self.focusConferenceRequest(element, focus)
            } else if element.attribute("type", is: "get") && element.contains("urn:xmpp:ping") {
                self.other(element)
            }
            return
        }
        if element.isNamed("presence") {
            guard let from = element.attribute("from"), let room = self.roomNumber(in: from),
                Self.endsWithFocusNick(from)
            else { return }
            if element.attribute("type", is: "error") {
                self.worker.focusFailed(condition: ErrorClassifier.condition(of: element))
                return
            }
            if case .joining(let waiting) = focus.rooms[room] {
                focus.rooms[room] = .ready
                for request in waiting { self.focusAnswer(id: request.id, to: request.from, room: room, focus) }
            }
            return
        }
        if element.isNamed("error") { self.fail(ErrorClassifier.condition(of: element)) }
    }

    private func focusConferenceRequest(_ iq: ElementView, _ focus: FocusState) {
        guard let id = iq.attribute("id"), let from = iq.attribute("from"),
            let roomValue = iq.descendantAttribute("room"), let room = self.roomNumber(in: roomValue)
        else { return }
        switch focus.rooms[room] {
        case .ready:
            self.focusAnswer(id: id, to: from, room: room, focus)
        case .joining(var waiting):
            waiting.append((Array(id), Array(from)))
            focus.rooms[room] = .joining(waiting)
        case nil:
            focus.rooms[room] = .joining([(Array(id), Array(from))])
            guard let link = self.link else { return }
            var buffer = link.makeBuffer(capacity: 256)
            buffer.writeBytes(self.templates.presenceOpen)
            self.templates.writeRoom(room, into: &buffer)
            buffer.writeString("/focus")
            buffer.writeBytes(self.templates.presenceAfterTo)
            buffer.writeBytes(self.templates.focusJoinPayload)
            buffer.writeBytes(self.templates.presenceClose)
            link.send(buffer)
        }
    }

    private func focusAnswer(id: some Collection<UInt8>, to: some Collection<UInt8>, room: Int, _ focus: FocusState) {
        guard let link = self.link else { return }
        var buffer = link.makeBuffer(capacity: 512)
        buffer.writeBytes(self.templates.focusResultOpen)
        Array(id).withUnsafeBytes { Self.writeQuoted($0, into: &buffer) }
        buffer.writeBytes(self.templates.focusResultAfterID)
        Array(to).withUnsafeBytes { Self.writeQuoted($0, into: &buffer) }
        buffer.writeBytes(self.templates.focusResultAfterTo)
        self.templates.writeRoom(room, into: &buffer)
        buffer.writeBytes(self.templates.focusResultClose)
        link.send(buffer)
        focus.answered += 1
    }

    /// The room number in `<prefix><n>@muc…`, or nil for a room of another run.
    func roomNumber(in jid: UnsafeRawBufferPointer) -> Int? {
        let prefix = self.templates.roomPrefix
        guard jid.count > prefix.count, jid.starts(with: prefix) else { return nil }
        var value = 0
        var index = prefix.count
        var digits = 0
        while index < jid.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(jid[index]) {
            value = value * 10 + Int(jid[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        guard digits > 0, index < jid.count, jid[index] == UInt8(ascii: "@") else { return nil }
        return value
    }

    static func endsWithFocusNick(_ jid: UnsafeRawBufferPointer) -> Bool {
        let suffix: [UInt8] = Array("/focus".utf8)
        return jid.count > suffix.count && jid.suffix(suffix.count).elementsEqual(suffix)
    }
}
