using System.Runtime.InteropServices;
using Leadspace.Simulator;

SimulatorOptions options;
try
{
    options = OptionTable.Parse(args, out var help);
    if (help)
    {
        Console.Out.Write(OptionTable.HelpText());
        return 0;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext c)
{
    c.Cancel = true;
    stop.TrySetResult();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);

SimulatorHost host;
try
{
    host = await SimulatorHost.StartAsync(options);
}
catch (IOException ex)
{
    Console.Error.WriteLine($"Cannot listen on 127.0.0.1:{options.Port}: {ex.Message}");
    return 1;
}

await using (host)
{
    // Line 1 of stdout is the base URI, nothing else is ever written to stdout.
    Console.Out.WriteLine(host.BaseUri.GetLeftPart(UriPartial.Authority) + options.PathPrefix);
    Console.Out.Flush();

    if (options.ExitOnStdinEof)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (await stdin.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            stop.TrySetResult();
        });
    }

    await stop.Task;
}
return 0;
