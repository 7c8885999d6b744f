using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace CyLlm.Cli.Tests;

/// <summary>
/// deploy/: the Kustomize overlays render offline with <c>kubectl kustomize</c> (installed by .ci/services.sh; the tests
/// report skipped where it cannot run), and the rendered objects are what an operator needs: pinned images, probes on
/// /health, the named http port the Service targets, non-root read-only containers, secrets referenced and never
/// inlined, Prometheus annotations, an HPA on the gateway and a migration Job. The Dockerfile is multi-stage and non-root.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static string Deploy(string relative) => Path.Combine(CliProcess.RepoRoot, "deploy", relative);

    private static (int Code, string Out, string Err) Kubectl(params string[] args)
    {
        ProcessStartInfo psi = new("kubectl", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SkipException($"kubectl is not installed ({e.Message}); .ci/services.sh installs it");
        }
    }

    private static List<YamlMappingNode> Render(string overlay)
    {
        // The overlays use Kustomize 4+ (labels, inline JSON patches): an older kubectl (Debian 12's 1.20 carries
        // Kustomize 2) cannot render them, which says nothing about the manifests.
        var version = System.Text.RegularExpressions.Regex.Match(Kubectl("version", "--client").Out, @"Kustomize Version: v(\d+)");
        if (!version.Success || int.Parse(version.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 4)
        {
            throw new SkipException("this kubectl carries no Kustomize 4 or newer; install a current kubectl to render deploy/k8s");
        }

        {
            var (code, yaml, err) = Kubectl("kustomize", Deploy("k8s/overlays/" + overlay));
            Assert.True(code == 0, $"kubectl kustomize {overlay} failed: {err}");
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
        }
    }

    private static string? Str(YamlNode node, params string[] path)
    {
        foreach (string key in path)
        {
            if (node is not YamlMappingNode m || !m.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return (node as YamlScalarNode)?.Value;
    }

    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (string key in path)
        {
            if (node is not YamlMappingNode m || !m.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    private static IEnumerable<YamlMappingNode> Seq(YamlNode? node) => node is YamlSequenceNode s ? s.Children.OfType<YamlMappingNode>() : [];

    private static YamlMappingNode Object(List<YamlMappingNode> docs, string kind, string name) =>
        Assert.Single(docs, d => Str(d, "kind") == kind && Str(d, "metadata", "name") == name);

    [SkippableTheory]
    [InlineData("dev", "cyllm-dev", 1)]
    [InlineData("production", "cyllm", 3)]
    public void The_overlays_render_the_objects_an_operator_needs(string overlay, string ns, int replicas)
    {
        var docs = Render(overlay);
        Assert.All(docs, d => Assert.Equal(ns, Str(d, "metadata", "namespace")));

        var gateway = Object(docs, "Deployment", "cyllm-gateway");
        Assert.Equal(replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), Str(gateway, "spec", "replicas"));
        var pod = Node(gateway, "spec", "template")!;
        Assert.Equal("true", Str(pod, "metadata", "annotations", "prometheus.io/scrape"));
        Assert.Equal("/metrics", Str(pod, "metadata", "annotations", "prometheus.io/path"));
        Assert.Equal("true", Str(pod, "spec", "securityContext", "runAsNonRoot"));
        var container = Assert.Single(Seq(Node(pod, "spec", "containers")));
        Assert.Equal("ghcr.io/cyllm/cyllm:0.1.0", Str(container, "image")); // pinned, never :latest
        Assert.Equal("true", Str(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Str(container, "securityContext", "allowPrivilegeEscalation"));
        foreach (string probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
        {
            Assert.Equal("/health", Str(container, probe, "httpGet", "path"));
            Assert.Equal("http", Str(container, probe, "httpGet", "port"));
        }

        var port = Assert.Single(Seq(Node(container, "ports")));
        Assert.Equal(("http", "8080"), (Str(port, "name"), Str(port, "containerPort")));
        var service = Object(docs, "Service", "cyllm-gateway");
        Assert.Equal("http", Str(Assert.Single(Seq(Node(service, "spec", "ports"))), "targetPort"));

        // The store and the Redis URL come from secrets the operator creates; nothing secret is in the manifests.
        var env = Seq(Node(container, "env")).ToList();
        Assert.Equal("cyllm-store", Str(Assert.Single(env, e => Str(e, "name") == "CYLLM_STORE"), "valueFrom", "secretKeyRef", "name"));
        Assert.Equal("cyllm-redis", Str(Assert.Single(env, e => Str(e, "name") == "CYLLM_Gateway__RateLimits__Redis"), "valueFrom", "secretKeyRef", "name"));
        Assert.DoesNotContain(docs, d => Str(d, "kind") == "Secret");
        foreach (var d in docs)
        {
            foreach (var c in Seq(Node(d, "spec", "template", "spec", "containers")))
            {
                Assert.All(Seq(Node(c, "env")), e => Assert.False(
                    Str(e, "name")!.Contains("PASSWORD", StringComparison.Ordinal) && Str(e, "value") is not null, $"{Str(d, "metadata", "name")}: {Str(e, "name")} is inlined"));
                Assert.DoesNotContain("postgres://", Str(c, "args") ?? "", StringComparison.Ordinal);
                Assert.DoesNotMatch("(^|:)latest$", Str(c, "image") ?? "");
            }
        }

        var hpa = Object(docs, "HorizontalPodAutoscaler", "cyllm-gateway");
        Assert.Equal(("Deployment", "cyllm-gateway"), (Str(hpa, "spec", "scaleTargetRef", "kind"), Str(hpa, "spec", "scaleTargetRef", "name")));
        var migrate = Object(docs, "Job", "cyllm-migrate");
        var migrateContainer = Assert.Single(Seq(Node(migrate, "spec", "template", "spec", "containers")));
        Assert.Equal("migrate", ((YamlSequenceNode)Node(migrateContainer, "args")!).Children[0].ToString());
        Assert.Equal("cyllm-store", Str(Assert.Single(Seq(Node(migrateContainer, "env"))), "valueFrom", "secretKeyRef", "name"));

        if (overlay == "dev")
        {
            Object(docs, "StatefulSet", "postgres");
            Object(docs, "StatefulSet", "redis");
        }
        else
        {
            Assert.Equal("2", Str(Object(docs, "PodDisruptionBudget", "cyllm-gateway"), "spec", "minAvailable"));
        }
    }

    [Fact]
    public void The_dockerfile_is_multi_stage_non_root_and_serves_on_8080()
    {
        string[] lines = File.ReadAllLines(Deploy("docker/Dockerfile"));
        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build", StringComparison.Ordinal));
        string user = Assert.Single(lines, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain("root", user, StringComparison.Ordinal);
        Assert.NotEqual("USER 0", user.Split(':')[0]);
        Assert.Contains("EXPOSE 8080", lines);
        Assert.Contains(lines, l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal) && l.Contains("cyllm.dll", StringComparison.Ordinal));
        // The project files the build COPYs exist, so the image builds from a clean checkout.
        foreach (string l in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            foreach (string src in l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            {
                Assert.True(File.Exists(Path.Combine(CliProcess.RepoRoot, src)) || Directory.Exists(Path.Combine(CliProcess.RepoRoot, src)), $"COPY source missing: {src}");
            }
        }
    }
}
