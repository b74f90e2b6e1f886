//! Man pages: what clap knows (name, synopsis, options, subcommands, version) plus the sections
//! `--help` cannot hold — ENVIRONMENT, EXIT STATUS, FILES, EXAMPLES, SEE ALSO — and the section 5
//! pages of the three configuration files. The hand-written roff lives in `packaging/man/`, where
//! it reads as the page it becomes; this module puts the pieces together for `gen-assets`.

use std::io;

/// Hand-written sections of each section 1 page, inserted before VERSION. `miband collect` is
/// `miband-dc` under another name, so it shares that page's sections.
const SECTION1_EXTRA: &[(&str, &str)] = &[
    ("miband", include_str!("../../packaging/man/miband.1.roff")),
    (
        "miband-dc",
        include_str!("../../packaging/man/miband-dc.1.roff"),
    ),
    (
        "miband-collect",
        include_str!("../../packaging/man/miband-dc.1.roff"),
    ),
    (
        "miband-grafana",
        include_str!("../../packaging/man/miband-grafana.1.roff"),
    ),
    (
        "miband-emulate",
        include_str!("../../packaging/man/miband-emulate.1.roff"),
    ),
    (
        "miband-decode",
        include_str!("../../packaging/man/miband-decode.1.roff"),
    ),
    ("miband-scan", BAND),
    ("miband-read", BAND),
    ("miband-find", BAND),
    ("miband-alert", BAND),
    ("miband-set-time", BAND),
    ("miband-alarm", BAND),
    ("miband-config", BAND),
    ("miband-hr", BAND),
    ("miband-raw", BAND),
    ("miband-events", BAND),
];

/// The sections shared by the band-side commands (`scan`, `read`, the actions, the streams).
const BAND: &str = include_str!("../../packaging/man/band.1.roff");

/// The sections of a page that has none of its own: the exit codes every `miband` subcommand
/// follows (0 done, 1 failure, 2 usage) and where to look next.
const GENERIC: &str = include_str!("../../packaging/man/generic.1.roff");

/// The configuration file formats: file name and complete page.
pub const SECTION5: &[(&str, &str)] = &[
    (
        "miband-devices.csv.5",
        include_str!("../../packaging/man/miband-devices.csv.5"),
    ),
    (
        "miband-settings.json.5",
        include_str!("../../packaging/man/miband-settings.json.5"),
    ),
    (
        "miband-grafana.conf.5",
        include_str!("../../packaging/man/miband-grafana.conf.5"),
    ),
];

/// The hand-written sections of page `page` (e.g. `miband-dc`), or the generic ones.
pub fn extra_sections(page: &str) -> &'static str {
    SECTION1_EXTRA
        .iter()
        .find(|(p, _)| *p == page)
        .map_or(GENERIC, |(_, roff)| *roff)
}

/// Renders the section 1 page of `cmd` (named `page`): clap_mangen's sections in its order, with
/// the hand-written ones between the subcommands and VERSION, where man-pages(7) puts them.
pub fn render(page: &str, cmd: clap::Command) -> io::Result<Vec<u8>> {
    let has_options = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_after_help = cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some();
    let has_version = cmd.get_version().or(cmd.get_long_version()).is_some();
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if has_options {
        man.render_options_section(&mut out)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut out)?;
    }
    if has_after_help {
        man.render_extra_section(&mut out)?;
    }
    out.extend_from_slice(extra_sections(page).as_bytes());
    if has_version {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section1_page_has_the_sections_help_cannot_hold() {
        for (page, roff) in SECTION1_EXTRA {
            for section in [".SH \"EXIT STATUS\"", ".SH EXAMPLES", ".SH \"SEE ALSO\""] {
                assert!(roff.contains(section), "{page} lacks {section}");
            }
        }
        for page in ["miband-dc", "miband-grafana"] {
            let roff = extra_sections(page);
            assert!(roff.contains(".SH FILES"), "{page} lacks FILES");
            assert!(roff.contains(".SH ENVIRONMENT"), "{page} lacks ENVIRONMENT");
        }
    }

    #[test]
    fn section5_pages_are_complete_and_named_after_their_file() {
        for (file, roff) in SECTION5 {
            let name = file.strip_suffix(".5").unwrap();
            let title = format!(".TH {} 5 ", name.to_uppercase().replace('-', "\\-"));
            assert!(roff.starts_with(&title), "{file}: {title}");
            for section in [".SH NAME", ".SH DESCRIPTION", ".SH EXAMPLES", ".SH FILES"] {
                assert!(roff.contains(section), "{file} lacks {section}");
            }
        }
    }

    #[test]
    fn every_page_says_its_exit_status_and_the_overview_names_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let files = super::super::app::write_assets(dir.path()).unwrap();
        let overview = extra_sections("miband");
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "1"))
        {
            let page = std::fs::read_to_string(f).unwrap();
            let name = f.file_stem().unwrap().to_str().unwrap();
            assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
            assert!(page.contains(".SH \"SEE ALSO\""), "{name}");
            if name != "miband" {
                let reference = format!("\\fB{}\\fR(1)", name.replace('-', "\\-"));
                assert!(
                    overview.contains(&reference),
                    "miband(1) SEE ALSO lacks {name}"
                );
            }
        }
    }

    #[test]
    fn the_sections_come_before_version() {
        let cmd = super::super::app::miband_dc_command();
        let page = String::from_utf8(render("miband-dc", cmd).unwrap()).unwrap();
        let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("no {s}"));
        assert!(at(".SH OPTIONS") < at(".SH \"EXIT STATUS\""));
        assert!(at(".SH \"SEE ALSO\"") < at(".SH VERSION"));
    }
}
