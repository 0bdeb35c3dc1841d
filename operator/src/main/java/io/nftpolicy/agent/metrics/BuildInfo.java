package io.nftpolicy.agent.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What was built and what runs it: the version Maven filtered into {@code version.properties} (empty when the
 * classes were not built by Maven, as in an IDE), and the Java runtime's version.
 */
public record BuildInfo(String version, String javaVersion) {

    public static BuildInfo current() {
        Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // no version: reported as unknown
        }
        String version = properties.getProperty("version", "");
        return new BuildInfo(version.startsWith("${") ? "" : version, Runtime.version().toString());
    }

    /** The version, or {@code unknown}. */
    public String versionOrUnknown() {
        return version.isEmpty() ? "unknown" : version;
    }
}
