package io.nftpolicy.cli;

import picocli.CommandLine.Option;

/** Whether established connections follow policy changes (a picocli mixin of the commands that build a ruleset). */
final class EstablishedOption {
    @Option(names = "--keep-established",
            description = "Let connections that policy allowed when they opened run on after a change denies them "
                    + "(the behaviour before 0.2). By default a change cuts them: each flow's next packet is judged "
                    + "again by the new rules (docs/ruleset.md, \"Established flows\").")
    boolean keep;
}
