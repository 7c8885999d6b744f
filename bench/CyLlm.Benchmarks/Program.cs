using BenchmarkDotNet.Running;

// Kernel micro-benchmarks: dotnet run -c Release --project bench/CyLlm.Benchmarks -- --filter '*' [--exporters json]
BenchmarkSwitcher.FromAssembly(typeof(CyLlm.Benchmarks.MatMulBenchmarks).Assembly).Run(args);
