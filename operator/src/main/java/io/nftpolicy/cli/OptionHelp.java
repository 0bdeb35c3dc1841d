package io.nftpolicy.cli;

/**
 * The help of options that several commands share but that mean something of each command's own there
 * ({@link NetnsOption}, {@link BriefOption}, {@link DropLogGroupOption}, {@link PodCidrOption}): picocli reads it
 * from the resource bundle OptionHelp.properties beside this class, under {@code <command>.<option>}, so that the
 * option is declared once.
 */
final class OptionHelp {
    static final String BUNDLE = "io.nftpolicy.cli.OptionHelp";

    private OptionHelp() {}
}
