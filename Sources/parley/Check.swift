import ArgumentParser
import ParleyServer

/// `parley check FILE`: prints every issue of a configuration file; fails when there is an error.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration file and print every problem with its line and column."
    )

    @Argument(help: "The YAML configuration file.")
    var file: String

    func run() throws {
        let issues = ConfigurationLoader.check(path: self.file)
        for issue in issues {
            print(issue.description)
        }
        guard !issues.contains(where: \.isError) else {
            throw ExitCode.failure
        }
        print("\(self.file): OK")
    }
}
