/**
 * A kernel lab: pods as network namespaces on nodes wired like Flannel, with real servers and real probes, so that
 * the rulesets nftpolicy compiles are judged by what the kernel lets through and not by what we believe it does.
 *
 * <p>Entry point: {@link io.nftpolicy.lab.Lab}. Used by the real-kernel tests and by {@code nftpolicy sandbox}. The pieces, in the order a lab is built:
 * <ul>
 *   <li>{@code Topology}: the plan (subnets, gateways, namespaces, {@code ip -batch} scripts),
 *       validated before the kernel is touched;</li>
 *   <li>{@code NetnsThread}: one thread per namespace, moved there with setns(2), which creates every socket
 *       the lab uses in that namespace; this is what lets one JVM serve and probe all pods without a process per
 *       pod;</li>
 *   <li>{@code PodServer}: every pod's TCP and UDP servers on one selector thread, answering with the pod's
 *       name;</li>
 *   <li>{@code Prober}: all probes of a matrix at once on one selector, so that dropped packets cost one timeout
 *       in total rather than one each;</li>
 *   <li>{@link io.nftpolicy.reachability.Reachability}: the result, printed and parsed as the upstream e2e tables.</li>
 * </ul>
 */
package io.nftpolicy.lab;

import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.reachability.Reachability;
