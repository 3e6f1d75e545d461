import Foundation
import JobPreparation
import SecureShell

/// Where a job finds each HPCS tool, decided in one place: `tools status`,
/// `doctor` and the Options screen's missing-tools line all read the same
/// probe, so they cannot disagree. The probe is the login environment's
/// part of the job script's `find_tool` (Templates/hpcs.sbatch), in its
/// order: HPCS_TOOLS_DIR, then the site's download manifest
/// (HPCS_TOOLS_MANIFEST), then PATH. The user's pinned tools come between
/// the site's and PATH in the job; they are known on this side
/// (`ToolPinner.Report.jobUses`). `ToolLookupTests` runs the template's own
/// `find_tool` beside this probe to keep the two in step.
public enum ToolLookup {
    /// Every tool a secure job runs: the pinnable ones, the container
    /// runtime under either name, and curl (Vault, the HPCS server).
    public static let names = ToolRelease.catalogue.map(\.name) + ["singularity", "apptainer", "curl"]

    /// `name<TAB>site<TAB>path` for each name given: what the site provides
    /// (its tools folder, or its manifest's name for it) and PATH's copy.
    static let script = #"""
        for name; do
          site=
          if [[ -n ${HPCS_TOOLS_DIR:-} && -x $HPCS_TOOLS_DIR/$name ]]; then
            site=$HPCS_TOOLS_DIR/$name
          elif [[ -n ${HPCS_TOOLS_MANIFEST:-} && -r $HPCS_TOOLS_MANIFEST ]] &&
               awk -v t="$name" '$1 == t { found = 1 } END { exit !found }' "$HPCS_TOOLS_MANIFEST"; then
            site="$HPCS_TOOLS_MANIFEST (the site's manifest)"
          fi
          printf '%s\t%s\t%s\n' "$name" "$site" "$(command -v -- "$name")"
        done
        """#

    /// The probe as a command (prefixed with `srun …` to look on a compute node).
    public static func command(_ names: [String] = names, prefix: [String] = []) -> [String] {
        prefix + ["bash", "-c", script, "hpcs-job"] + names
    }

    /// The probe's answer by tool name.
    static func parse(_ text: String) -> [String: (site: String?, path: String?)] {
        var found: [String: (site: String?, path: String?)] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            found[fields[0]] = (fields[1].isEmpty ? nil : fields[1], fields[2].isEmpty ? nil : fields[2])
        }
        return found
    }

    /// Tools no job could use: no site setting, no valid pinned copy, not on
    /// PATH (the container runtime under either name).
    public static func missing(_ reports: [ToolPinner.Report]) -> [String] {
        let runtimes = ["singularity", "apptainer"]
        var missing = reports.filter { !runtimes.contains($0.name) && $0.jobUses == nil }.map(\.name)
        if !reports.contains(where: { runtimes.contains($0.name) && $0.jobUses != nil }) {
            missing.insert("singularity/apptainer", at: min(missing.count, missing.firstIndex(of: "curl") ?? missing.count))
        }
        return missing
    }
}
