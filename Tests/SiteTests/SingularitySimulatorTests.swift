import Foundation
import SiteTestSupport
import Testing

/// The site's `singularity`/`apptainer` simulator takes the flags users pass
/// to `run`, with their effect, and refuses others as the real tool does.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct SingularitySimulatorTests {
    /// Runs a script on the login node as the site user, with an image whose
    /// entrypoint prints what the container sees.
    func runInContainer(_ site: LocalSite, _ flags: String, environment: String = "") throws -> ToolResult {
        let script = #"""
            set -eu
            dir=$(mktemp -d "$HOME/sim-test.XXXXXX")
            trap 'rm -rf "$dir"' EXIT
            mkdir "$dir/image" "$dir/data" "$dir/more"
            echo payload >"$dir/data/file"
            printf 'B=two\n# a comment\nC=three\n' >"$dir/env"
            cat >"$dir/image/entrypoint" <<'EOF'
            #!/bin/bash
            echo "pwd=$PWD A=${A-unset} B=${B-unset} C=${C-unset} X=${X-unset} HOST_ONLY=${HOST_ONLY-unset}"
            echo "data=$(cat /data/file 2>/dev/null || echo none) args=$*"
            if touch /more/x 2>/dev/null; then echo "more=writable"; else echo "more=read-only"; fi
            EOF
            chmod +x "$dir/image/entrypoint"
            tar -C "$dir/image" -czf "$dir/image.sif" .
            cd "$dir"
            """# + "\n\(environment) \(site["HPCS_SITE_ROOT"])/bin/\(flags)\n"
        return try site.openSSH("bash -s", stdin: Data(script.utf8))
    }

    @Test func commonRunFlagsHaveTheirEffect() throws {
        let site = try LocalSite.require()
        let result = try runInContainer(site,
            #"apptainer run --containall --env A=1 --env-file env --pwd /data -B "$dir/data:/data,$dir/more:/more:ro" image.sif -- x y"#,
            environment: "HOST_ONLY=1 APPTAINERENV_X=kept")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("pwd=/data A=1 B=two C=three X=kept HOST_ONLY=unset"), "\(result.out)")
        #expect(result.out.contains("data=payload args=x y"))
        #expect(result.out.contains("more=read-only"))
    }

    @Test func withoutCleanenvTheHostEnvironmentPassesIn() throws {
        let site = try LocalSite.require()
        let result = try runInContainer(site, #"singularity run -B "$dir/data:/data" image.sif"#,
                                        environment: "HOST_ONLY=1 SINGULARITYENV_X=kept")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("X=kept HOST_ONLY=1"), "\(result.out)")
    }

    @Test func anUnknownFlagOrBindOptionIsRefusedClearly() throws {
        let site = try LocalSite.require()
        let flag = try runInContainer(site, "singularity run --fakeroot image.sif")
        #expect(flag.status == 255 && flag.err.contains("unknown flag --fakeroot"), "\(flag.err)")
        let bind = try runInContainer(site, #"singularity run -B "$dir/data:/data:rx" image.sif"#)
        #expect(bind.status == 255 && bind.err.contains("unknown bind option 'rx'"), "\(bind.err)")
    }
}
