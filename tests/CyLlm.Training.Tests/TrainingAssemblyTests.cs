namespace CyLlm.Training.Tests;

public sealed class TrainingAssemblyTests
{
    [Fact]
    public void AssemblyNameMatches() => Assert.Equal(TrainingAssembly.Name, typeof(TrainingAssembly).Assembly.GetName().Name);
}
