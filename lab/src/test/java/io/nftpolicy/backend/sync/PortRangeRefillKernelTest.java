package io.nftpolicy.backend.sync;

import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.testing.KernelTest;
import java.util.List;

/**
 * {@link ApplyUnderTrafficKernelTest} with a port range that changes between the two snapshots: z admits TCP 80-81
 * in A and TCP 80 in B, so every apply refills z's chain with a rule on a different interval set. On kernel 6.18 a
 * rule added in the same transaction as a new interval set it looks up can miss packets while the transaction
 * commits: with inline sets this dropped about one allowed connection in 500 to 2,000 applies. The applier now
 * commits new sets and chains in a transaction of their own first ({@link Transaction#splitNewObjectsFirst}), and the compiler
 * puts ports in shared named sets; this test holds the two to zero wrong drops.
 */
@KernelTest
class PortRangeRefillKernelTest extends ApplyUnderTrafficKernelTest {
    @Override
    List<PolicyPort> zPortsInA() {
        return List.of(PolicyPort.range("TCP", 80, 81));
    }
}
