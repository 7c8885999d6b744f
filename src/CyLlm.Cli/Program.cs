using System.CommandLine;
using CyLlm.Cli;
using CyLlm.Cli.Commands;

// `cyllm`: one command for the whole platform. Each subcommand lives in Commands/.
var root = new RootCommand("CyLlm — LLM inference, serving and fine-tuning for .NET")
{
    GenerateCommand.Create(),
    BenchCommand.Create(),
    InspectCommand.Create(),
    PullCommand.Create(),
    ServeCommand.Create(),
    DoctorCommand.Create(),
    DoctorCommand.CreateMigrate(),
    KeysCommand.Create(),
    TenantsCommand.Create(),
    TrainCommand.Create(),
    PretrainCommand.Create(),
};
return CliRunner.Invoke(root, args);
