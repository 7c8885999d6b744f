using CsCheck;

namespace CyLlm.Jobs.Tests;

/// <summary>
/// Random transition sequences against <see cref="ReferenceModel"/>: the machine accepts exactly the legal operations,
/// every accepted record and change passes the checker, and the resulting history is consistent.
/// </summary>
public sealed class TaskStateMachinePropertyTests
{
    private static readonly TaskStage[] AllStages = Enum.GetValues<TaskStage>();

    [Fact]
    public void Random_operation_sequences_accept_exactly_the_legal_ones()
    {
        long accepted = 0, rejected = 0;
        Gen.Select(Gen.Int[1, 4], Gen.Int[0, 100_000].Array[1, 40]).Sample((kindNo, ops) =>
        {
            var kind = (TaskKind)kindNo;
            var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var t = TaskStateMachine.Create(TaskId.New(kind), "tenant", t0);
            var history = new List<TaskEvent> { Event(1, t, null) };
            var checker = new TaskConsistencyChecker();
            for (int i = 0; i < ops.Length; i++)
            {
                int v = ops[i];
                var now = t0.AddSeconds(i);
                TaskRecord? next = null;
                bool legal;
                try
                {
                    if (v % 3 < 2)
                    {
                        var to = AllStages[(v / 3) % AllStages.Length];
                        bool withError = (v / 36) % 2 == 1;
                        legal = !ReferenceModel.IsTerminal(t.Stage) && ReferenceModel.CanMove(kind, t.Stage, to) && ReferenceModel.IsFailure(to) == withError;
                        next = TaskStateMachine.MoveTo(t, to, now, withError ? new TaskError("boom", "failed") : null);
                    }
                    else
                    {
                        int p = ((v / 3) % 121) - 10;
                        legal = ReferenceModel.IsRunning(t.Stage) && p is >= 0 and <= 100;
                        next = TaskStateMachine.ReportProgress(t, p, now);
                    }
                }
                catch (IllegalTransitionException)
                {
                    Assert.Null(next);
                    rejected++;
                    continue;
                }

                Assert.True(legal, $"accepted an illegal operation {v} on {t.Kind} in {t.Stage}");
                Assert.Empty(TaskConsistencyChecker.ValidateTransition(t, next with { Version = t.Version + 1 }));
                var prev = t;
                t = next with { Version = t.Version + 1 };
                history.Add(Event(history.Count + 1, t, prev.Stage));
                accepted++;
            }

            Assert.Empty(checker.Observe(t));
            Assert.Empty(checker.ObserveHistory(t, history));
            Assert.Equal(0, checker.ViolationCount);
        }, iter: 3000);

        // Both branches must really be exercised for the property to mean anything.
        Assert.True(accepted > 1000 && rejected > 1000, $"accepted {accepted}, rejected {rejected}");
    }

    [Fact]
    public void Legal_operations_are_never_rejected()
    {
        // Random walks that only take legal moves (chosen from the reference table) must all be accepted.
        Gen.Select(Gen.Int[1, 4], Gen.Int[0, 1000].Array[1, 20]).Sample((kindNo, picks) =>
        {
            var kind = (TaskKind)kindNo;
            var t = TaskStateMachine.Create(TaskId.New(kind), "tenant", DateTimeOffset.UnixEpoch);
            foreach (int pick in picks)
            {
                var options = AllStages.Where(s => ReferenceModel.CanMove(kind, t.Stage, s)).ToArray();
                if (options.Length == 0)
                {
                    Assert.True(t.IsTerminal);
                    break;
                }

                var to = options[pick % options.Length];
                t = TaskStateMachine.MoveTo(t, to, DateTimeOffset.UnixEpoch, ReferenceModel.IsFailure(to) ? new TaskError("e", "m") : null);
                if (ReferenceModel.IsRunning(t.Stage))
                {
                    t = TaskStateMachine.ReportProgress(t, pick % 101, DateTimeOffset.UnixEpoch);
                }
            }

            Assert.Empty(TaskConsistencyChecker.Validate(t));
        }, iter: 2000);
    }

    private static TaskEvent Event(long seq, TaskRecord t, TaskStage? from) =>
        new(seq, t.Id, t.UpdatedAt, from, t.Stage, t.Status, t.Progress, t.Version, null);
}
