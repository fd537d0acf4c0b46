// The curated domain lists behind `EmailAddressDetector`. They are short on purpose: a longer list refuses more
// ordinary names. Docs/RoomNamePolicy.md explains the choice.
extension EmailAddressDetector {
    /// Top-level domains most personal and work addresses end in (IANA root zone; the generic ones, the larger
    /// European, American and Asian country codes, and their usual second-level forms). A name that ends in
    /// one after a label of two letters or more is refused, because `alice@example.com` and a bare
    /// `example.com` look the same once `@` is stripped.
    static let mailTopLevelDomains: Set<String> = [
        "com", "net", "org", "edu", "gov", "mil", "biz",
        "de", "fr", "uk", "nl", "ch", "es", "pl", "se", "dk", "fi", "ru", "cz", "sk", "hu", "ro", "gr", "pt",
        "ie", "lu", "eu", "lt", "lv", "si", "bg", "rs", "ua", "kz", "tr", "il", "ca", "mx", "br", "ar", "cl", "au",
        "nz", "za", "jp", "cn", "kr", "tw", "hk", "sg",
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "com.au", "net.au", "org.au", "edu.au", "co.nz",
        "co.za", "co.jp", "ne.jp", "ac.jp", "or.jp", "com.br", "com.mx", "com.ar", "com.cn", "co.kr", "com.tw",
        "com.hk", "com.sg", "com.tr", "co.il", "co.in", "net.in", "org.in", "ac.in", "com.ua",
    ]

    /// Top-level domains that also carry addresses but are English words, abbreviations or popular project
    /// names (`check.in`, `talk.to`, `weekly.dev`, `my.app`, `team.hr`, `sales.info`): refused only after a long label or a
    /// mail provider.
    static let otherTopLevelDomains: Set<String> = [
        "io", "co", "me", "ai", "dev", "app", "info", "it", "at", "be", "in", "is", "to", "us", "no", "by", "hr", "tv",
        "cc", "ly", "fm", "gg", "xyz", "online", "site", "tech", "cloud", "email", "name", "pro", "local", "lan",
        "internal", "corp",
    ]

    /// Mail providers: their domain labels, longest first (so `googlemail` wins over `mail`), and for each the
    /// top-level domains it serves (empty: any listed one).
    struct MailProviders: Sendable {
        let labels: ByteStringTable
        let topLevelDomains: [Set<String>]

        init(_ providers: [(label: String, topLevelDomains: Set<String>)]) {
            let sorted = providers.sorted { $0.label.utf8.count > $1.label.utf8.count }
            self.labels = ByteStringTable(sorted.map { Array($0.label.utf8) })
            self.topLevelDomains = sorted.map(\.topLevelDomains)
        }
    }

    /// Well-known free-mail and ISP mail domains. Short or common-word labels (`me`, `web`, `live`, `free`)
    /// count only with their real top-level domains.
    static let mailProviders = MailProviders([
        ("gmail", []), ("googlemail", []), ("hotmail", []), ("outlook", []), ("yahoo", []), ("ymail", []),
        ("rocketmail", []), ("icloud", []), ("protonmail", []), ("proton", []), ("gmx", []), ("yandex", []),
        ("aol", []), ("zoho", []), ("zohomail", []), ("fastmail", []), ("tutanota", []), ("tuta", []),
        ("posteo", []), ("mailbox", []), ("hushmail", []), ("runbox", []), ("disroot", []), ("riseup", []),
        ("mailfence", []), ("startmail", []),
        ("live", ["com", "de", "fr", "nl", "it", "be", "at", "ch", "co.uk", "com.au", "ca", "no", "se", "dk"]),
        ("me", ["com"]), ("mac", ["com"]), ("msn", ["com"]), ("mail", ["com", "ru", "de"]), ("web", ["de"]),
        ("t-online", ["de"]), ("freenet", ["de"]), ("arcor", ["de"]), ("orange", ["fr"]), ("free", ["fr"]),
        ("sfr", ["fr"]), ("wanadoo", ["fr"]), ("laposte", ["net"]), ("libero", ["it"]), ("virgilio", ["it"]),
        ("tiscali", ["it", "co.uk"]), ("seznam", ["cz"]), ("wp", ["pl"]), ("o2", ["pl"]), ("onet", ["pl", "eu"]),
        ("interia", ["pl"]), ("bluewin", ["ch"]), ("comcast", ["net"]), ("verizon", ["net"]), ("att", ["net"]),
        ("sbcglobal", ["net"]), ("btinternet", ["com"]), ("qq", ["com"]), ("163", ["com"]), ("126", ["com"]),
        ("sina", ["com", "cn"]), ("naver", ["com"]), ("hanmail", ["net"]), ("daum", ["net"]),
        ("rediffmail", ["com"]), ("rambler", ["ru"]), ("ukr", ["net"]), ("bigpond", ["com", "net.au", "com.au"]),
        ("shaw", ["ca"]), ("telenet", ["be"]), ("skynet", ["be"]), ("ziggo", ["nl"]), ("kpnmail", ["nl"]),
        ("xs4all", ["nl"]), ("uol", ["com.br"]), ("bol", ["com.br"]), ("terra", ["com.br"]), ("pm", ["me"]),
        ("aon", ["at"]), ("chello", ["at"]), ("inbox", ["ru", "lv", "lt"]), ("abv", ["bg"]),
    ])
}
