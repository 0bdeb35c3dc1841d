package io.nftpolicy.enforcement;

import io.nftpolicy.lab.LabException;
import io.nftpolicy.testing.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * A class of kernel tests sharing one {@link PolicyLab}: started once (building nodes and pods is the slow part),
 * reset to no policies before each test, closed at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
abstract class PolicyLabTest {
    PolicyLab lab;

    /** The cluster the lab runs. */
    UpstreamModel model() {
        return UpstreamModel.standard();
    }

    /** The chain shape; the *MergedSetsKernelTest subclasses run every test of their parent in the other one. */
    Layout layout() {
        return Layout.RULE_PER_PEER;
    }

    @BeforeAll
    void startLab() throws LabException {
        lab = PolicyLab.start(model(), layout());
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @BeforeEach
    void noPolicies() throws LabException {
        lab.reset();
    }
}
