namespace CyLlm.Jobs.Tests;

public sealed class TaskIdTests
{
    [Theory]
    [InlineData(TaskKind.FineTuning, "ftjob-")]
    [InlineData(TaskKind.Batch, "batch_")]
    [InlineData(TaskKind.Transfer, "xfer-")]
    [InlineData(TaskKind.Export, "export-")]
    [InlineData(TaskKind.ModelPull, "pull-")]
    public void New_ids_carry_their_kind_prefix_and_parse_back(TaskKind kind, string prefix)
    {
        var id = TaskId.New(kind);
        Assert.StartsWith(prefix, id.Value);
        Assert.Equal(prefix.Length + 24, id.Value.Length);
        Assert.Equal(kind, id.Kind);
        Assert.Equal(id, TaskId.Parse(id.Value));
        Assert.NotEqual(id, TaskId.New(kind));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("job-123", "no known kind prefix")]
    [InlineData("ftjob-", "no known kind prefix")]
    [InlineData("batch_a b", "contains ' '")]
    [InlineData("batch_x'; DROP TABLE tasks;--", "contains '''")]
    public void Bad_ids_are_rejected_with_a_reason(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => TaskId.Parse(text));
        Assert.Contains(reason, e.Message);
        Assert.False(TaskId.TryParse(text, out _));
    }

    [Fact]
    public void Overlong_ids_and_default_ids_are_refused()
    {
        Assert.Contains("at most 64", Assert.Throws<FormatException>(() => TaskId.Parse("batch_" + new string('a', 59))).Message);
        Assert.True(default(TaskId).IsEmpty);
        Assert.Throws<InvalidOperationException>(() => default(TaskId).Value);
        Assert.Throws<ArgumentException>(() => TaskStateMachine.Create(default, "t", DateTimeOffset.UnixEpoch));
    }
}
