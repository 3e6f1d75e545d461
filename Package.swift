// swift-tools-version:6.0
import Foundation
import PackageDescription

// Dependencies point one way, downward: C bridges → leaves (SecureShell,
// AgeCrypto, Slurm, TerminalUI) → domain (JobPreparation, JobRuntime,
// History) → HPCSJobApp → the hpcs-job executable.
let package = Package(
    name: "hpcs-job",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hpcs-job", targets: ["hpcs-job"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // System-library bridges; each header carries the few static inline
        // shims for macros Swift cannot import.
        // ncursesw's pkg-config flags (-D_DEFAULT_SOURCE …) are prohibited by
        // SwiftPM and would warn on every build; its header defines them itself.
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CLibSSH2", pkgConfig: "libssh2", providers: [.apt(["libssh2-1-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // gunzip for job results (tar.gz); zlib ships with libssh2's dependencies.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // prctl (variadic) for the executable's process hardening; libc only.
        .systemLibrary(name: "CProcess"),

        .target(name: "SecureShell", dependencies: ["CLibSSH2"]),
        .target(name: "AgeCrypto", dependencies: ["CSodium"]),
        .target(name: "Slurm"),
        .target(name: "TerminalUI", dependencies: ["CNcurses"]),

        .target(name: "JobPreparation", dependencies: [
            "SecureShell", "AgeCrypto", "Slurm",
            .product(name: "Yams", package: "Yams"),
        ], resources: []),
        .target(name: "History", dependencies: [
            "JobPreparation", "Slurm", "SecureShell",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "JobRuntime", dependencies: ["JobPreparation", "History", "SecureShell", "AgeCrypto", "Slurm", "CZlib"]),
        .target(name: "HPCSJobApp", dependencies: ["TerminalUI", "JobPreparation", "JobRuntime", "History", "SecureShell"]),
        .executableTarget(name: "hpcs-job", dependencies: [
            "HPCSJobApp", "CProcess", "JobPreparation", "JobRuntime", "History", "SecureShell", "AgeCrypto", "TerminalUI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks against reference tools (Scripts/bench); not shipped.
        .executableTarget(name: "hpcs-bench", dependencies: [
            "AgeCrypto", "SecureShell", "JobPreparation", "JobRuntime", "TerminalUI", "HPCSJobApp", "History",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test helpers: the local site's coordinates, tool runners.
        .target(name: "SiteTestSupport", path: "Tests/SiteTestSupport"),
        // A login node in memory (files, modes, scripted commands), for effects and workflows without the site.
        .target(name: "HostTestSupport", dependencies: ["JobPreparation", "SecureShell"], path: "Tests/HostTestSupport"),
        .testTarget(name: "SiteTests", dependencies: ["SiteTestSupport", "History", "JobPreparation"]),
        .testTarget(name: "SecureShellTests", dependencies: ["SecureShell", "SiteTestSupport"]),
        .testTarget(name: "AgeCryptoTests", dependencies: ["AgeCrypto", "SiteTestSupport"]),
        .testTarget(name: "SlurmTests", dependencies: ["Slurm"], resources: [.copy("Fixtures")]),
        .testTarget(name: "JobPreparationTests", dependencies: ["JobPreparation", "SecureShell", "SiteTestSupport"]),
        .testTarget(name: "JobRuntimeTests", dependencies: ["JobRuntime", "JobPreparation", "History", "Slurm", "SiteTestSupport",
                                                       "HostTestSupport", "SecureShell"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "JobPreparation", "Slurm", "SecureShell", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "HPCSJobAppTests", dependencies: ["HPCSJobApp", "TerminalUI", "JobPreparation", "JobRuntime", "History",
                                                      "Slurm", "SecureShell", "SiteTestSupport", "HostTestSupport"],
                    exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (Scripts/fuzz): one libFuzzer binary, only in a fuzz build
// (HPCS_FUZZ=1, its own scratch path), so the normal build never sees it.
if ProcessInfo.processInfo.environment["HPCS_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "hpcs-fuzz", dependencies: ["AgeCrypto", "JobPreparation", "JobRuntime", "SecureShell", "Slurm", "TerminalUI"],
        path: "Tests/Fuzz/Sources", swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
