@testable import HPCSJobApp
import Foundation
import JobPreparation
import Testing
import TerminalUI

/// The theme and keys the UI starts with, from flags, environment and the user's files.
struct StartupSettingsTests {
    func paths() throws -> (LocalPaths, URL) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("config/hpcs-job"), withIntermediateDirectories: true)
        return (LocalPaths(environment: ["HOME": home.path, "XDG_CONFIG_HOME": home.appendingPathComponent("config").path]), home)
    }

    @Test(arguments: ["light", "high-contrast", "monochrome"])
    func everyShippedThemeLoads(_ name: String) throws {
        let (paths, home) = try paths()
        defer { try? FileManager.default.removeItem(at: home) }
        let settings = HPCSJobApplication.startupSettings(paths: paths, environment: [:], themeName: name)
        #expect(settings.notices.isEmpty, "\(settings.notices)")
        #expect(settings.theme.name == name && settings.theme != Theme.builtIn)
    }

    @Test func theFlagBeatsTheEnvironmentAndNoColorIsHonoured() throws {
        let (paths, home) = try paths()
        defer { try? FileManager.default.removeItem(at: home) }
        let fromEnvironment = HPCSJobApplication.startupSettings(paths: paths, environment: ["HPCS_JOB_THEME": "light"], themeName: nil)
        #expect(fromEnvironment.theme.name == "light")
        let fromFlag = HPCSJobApplication.startupSettings(paths: paths, environment: ["HPCS_JOB_THEME": "light"],
                                                          themeName: "high-contrast")
        #expect(fromFlag.theme.name == "high-contrast")
        let plain = HPCSJobApplication.startupSettings(paths: paths, environment: ["NO_COLOR": "1"], themeName: nil)
        #expect(!plain.theme.usesColor)
        let missing = HPCSJobApplication.startupSettings(paths: paths, environment: [:], themeName: "nosuch")
        #expect(missing.theme == Theme.builtIn && missing.notices.first?.contains("theme nosuch not found") == true)
    }

    @Test func aBrokenKeysFileIsReportedAndTheDefaultsUsed() throws {
        let (paths, home) = try paths()
        defer { try? FileManager.default.removeItem(at: home) }
        let file = paths.configHome.appendingPathComponent("keys.conf")
        try "quit = ctrl-x\nfly = z\n".write(to: file, atomically: true, encoding: .utf8)
        let broken = HPCSJobApplication.startupSettings(paths: paths, environment: [:], themeName: nil)
        #expect(broken.keys == Update.keyMap)
        #expect(broken.notices.first?.hasPrefix(file.path) == true && broken.notices.first?.contains("default keys used") == true)
        try "quit = ctrl-x\n".write(to: file, atomically: true, encoding: .utf8)
        let patched = HPCSJobApplication.startupSettings(paths: paths, environment: [:], themeName: nil)
        #expect(patched.notices.isEmpty && patched.keys.keys(for: "quit") == [.control("x")])
    }
}
