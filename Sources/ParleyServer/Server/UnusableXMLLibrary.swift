import ParleyXML

/// Why `XMPPServer.start` refuses to serve: the libexpat this process runs with holds back elements split across
/// reads (expat 2.6's reparse deferral, libexpat #840) and cannot be told not to. Every stanza that TCP cuts in two
/// would then wait for more bytes, and Jicofo's and the bridge's multi-kilobyte Jingle and Colibri stanzas would
/// stall their sessions.
public struct UnusableXMLLibrary: Error, CustomStringConvertible, Sendable {
    public let library: ExpatLibrary

    public var description: String {
        "Refusing to start: \(self.library). Split stanzas would wait for more bytes. Install a libexpat that "
            + "exports XML_SetReparseDeferralEnabled (expat 2.6 or later, or Debian's 2.5.0-1+deb12u2 and later)."
    }
}
