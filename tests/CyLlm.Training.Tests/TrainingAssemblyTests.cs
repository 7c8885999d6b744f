namespace CyLlm.Training.Tests;

public sealed class TrainingAssemblyTests
{
    [Fact]
    public void AssemblyNameMatches() => Assert.Equal(typeof(TrainingAssembly).Assembly.GetName().Name, TrainingAssembly.Name);
}
