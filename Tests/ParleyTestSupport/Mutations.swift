/// Random variants of valid input for the readers that take bytes from the network: a few bytes replaced by random
/// ones, and half of them cut short. What a reader does with them is not checked here, only that it returns.
public enum Mutations {
    /// `count` variants of `bytes`, each given to `body`.
    public static func forEachVariant(of bytes: [UInt8], count: Int = 2_000, _ body: ([UInt8]) -> Void) {
        guard !bytes.isEmpty else { return }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<count {
            var variant = bytes
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<variant.count, using: &generator)
                variant[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) {
                variant = Array(variant.prefix(Int.random(in: 0...variant.count, using: &generator)))
            }
            body(variant)
        }
    }
}
