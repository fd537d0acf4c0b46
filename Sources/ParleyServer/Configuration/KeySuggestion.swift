/// Finds the known name an unknown one was probably meant to be ("did you mean 'c2s_port'?").
enum KeySuggestion {
    /// The candidate closest to `name`, if it is close enough to be a typo: the same letters up to case and
    /// `_`/`-` (camelCase or kebab-case spellings), the start of one (`warn` for `warning`), or at most a few
    /// edits away (a transposition counts as one).
    static func nearest(to name: String, in candidates: [String]) -> String? {
        let folded = self.fold(name)
        if let same = candidates.first(where: { self.fold($0) == folded }) {
            return same
        }
        if folded.count >= 3, let longer = candidates.first(where: { self.fold($0).hasPrefix(folded) }) {
            return longer
        }
        let limit = max(1, min(3, name.count / 3))
        var best: (candidate: String, distance: Int)? = nil
        for candidate in candidates {
            let distance = self.editDistance(Array(name.lowercased()), Array(candidate.lowercased()))
            if distance <= limit, distance < best?.distance ?? Int.max {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    private static func fold(_ name: String) -> String {
        String(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }
}
