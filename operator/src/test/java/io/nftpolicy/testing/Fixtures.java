package io.nftpolicy.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The snapshot files under src/test/resources/snapshots. */
public final class Fixtures {
    private Fixtures() {}

    public static Path snapshot(String name) {
        URL url = Fixtures.class.getResource("/snapshots/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no fixture snapshots/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
