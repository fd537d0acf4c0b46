internal import CExpat

/// What the libexpat this process runs with can do, found by asking it, never by its version number.
///
/// Expat 2.6 added reparse deferral (libexpat #840): a token split across two `XML_Parse` calls is not parsed
/// again until the bytes buffered have doubled, so a stanza whose start tag TCP cut a few bytes before its end
/// waits for the next stanza, or for ever. Debian backports it into 2.5.0 (2.5.0-1+deb12u2 and later) with the
/// header still saying 2.5.0, so the version number tells nothing. Parley looks its switch up by symbol and then
/// checks the behaviour itself: `probe()` feeds a long start tag cut three bytes before its end and sees whether
/// the element comes out when the last bytes arrive. A server must not run on a library that defers
/// (`XMPPServer.start` refuses to).
public struct ExpatLibrary: Sendable, Hashable, CustomStringConvertible {
    /// `XML_ExpatVersion()` of the library loaded at run time, e.g. `expat_2.5.0`.
    public var version: String
    /// Whether the library exports `XML_SetReparseDeferralEnabled`.
    public var hasDeferralSwitch: Bool
    /// Whether an element split across feeds is delivered as soon as its last byte is fed (deferral off or absent).
    public var deliversSplitElementsAtOnce: Bool

    /// The library this process runs with, probed once.
    public static let current = ExpatLibrary.probe()

    /// Asks the library: its version, its switch, and how it treats a split start tag with Parley's parser set-up.
    public static func probe() -> ExpatLibrary {
        let version = XML_ExpatVersion().map { String(cString: $0) } ?? "unknown"
        let hasSwitch = CExpat_reparseDeferralSwitch() != nil
        return ExpatLibrary(
            version: version,
            hasDeferralSwitch: hasSwitch,
            deliversSplitElementsAtOnce: probeSplitElement(XMLStreamParser())
        )
    }

    /// Feeds `<iq id='…'/>` with a 4 KiB attribute, cut three bytes before the tag ends, and reports whether the
    /// element is out once the last three bytes are fed. With deferral on, 3 new bytes are far below twice the
    /// 4 KiB partial token, so expat would wait.
    static func probeSplitElement(_ parser: XMLStreamParser) -> Bool {
        let header = Array("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".utf8)
        let tag = Array("<iq id='\(String(repeating: "a", count: 4096))'/>".utf8)
        var elements = 0
        do {
            try parser.feed(header) { _ in }
            try parser.feed(Array(tag.dropLast(3))) { if case .element = $0 { elements += 1 } }
            try parser.feed(Array(tag.suffix(3))) { if case .element = $0 { elements += 1 } }
        } catch {
            return false
        }
        return elements == 1
    }

    /// One line for `parley --version` and the server's start-up log.
    public var description: String {
        let deferral: String
        switch (self.hasDeferralSwitch, self.deliversSplitElementsAtOnce) {
        case (true, true): deferral = "reparse deferral off (XML_SetReparseDeferralEnabled)"
        case (false, true): deferral = "no reparse deferral"
        case (true, false): deferral = "reparse deferral ON: turning it off failed"
        case (false, false): deferral = "reparse deferral ON and no switch to turn it off"
        }
        let number = self.version.hasPrefix("expat_") ? String(self.version.dropFirst(6)) : self.version
        return "libexpat \(number): \(deferral)"
    }
}
