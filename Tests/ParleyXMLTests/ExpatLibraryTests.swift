import Testing

@testable import ParleyXML

/// `ExpatLibrary`: the library's abilities are asked of the library (libexpat #840, Debian's backport into 2.5.0).
@Suite struct ExpatLibraryTests {
    @Test func theLibraryInUseDeliversSplitElementsAtOnce() {
        let library = ExpatLibrary.current
        #expect(library.deliversSplitElementsAtOnce, "\(library)")
        #expect(library.version.hasPrefix("expat_"))
        #expect(library.description.hasPrefix("libexpat "))
    }

    /// The probe is not a constant: a parser that leaves the library's default on is caught deferring, on every
    /// library that has the switch (deferral and its switch came together, in expat 2.6 and in Debian's backport).
    /// A library without deferral (Debian's libexpat1 before 2.5.0-1+deb12u2) has nothing to catch: skipped there.
    @Test(.enabled(if: ExpatLibrary.current.hasDeferralSwitch, "this libexpat has no reparse deferral to catch"))
    func theProbeCatchesAParserThatDefers() throws {
        let deferring = XMLStreamParser(configuration: .init(), disablesReparseDeferral: false)
        #expect(ExpatLibrary.probeSplitElement(deferring) == false)
        #expect(ExpatLibrary.probeSplitElement(XMLStreamParser()))
    }

    /// A stream restart (RFC 6120 §4.3.3) resets the expat parser, which restores the library's default: deferral
    /// must be off again after it.
    @Test func deferralStaysOffAfterAStreamRestart() throws {
        let parser = XMLStreamParser()
        let header = Array("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".utf8)
        try parser.feed(header) { _ in }
        parser.reset()
        #expect(ExpatLibrary.probeSplitElement(parser))
    }

    @Test func descriptionsSayWhatTheLibraryDoes() {
        let off = ExpatLibrary(version: "expat_2.5.0", hasDeferralSwitch: true, deliversSplitElementsAtOnce: true)
        #expect(off.description == "libexpat 2.5.0: reparse deferral off (XML_SetReparseDeferralEnabled)")
        let stuck = ExpatLibrary(version: "expat_2.6.0", hasDeferralSwitch: false, deliversSplitElementsAtOnce: false)
        #expect(stuck.description == "libexpat 2.6.0: reparse deferral ON and no switch to turn it off")
    }
}
