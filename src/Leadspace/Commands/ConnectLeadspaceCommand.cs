using System;
using System.Management.Automation;
using System.Security;
using System.Threading;
using Leadspace.Http;
using Leadspace.RateLimiting.Shared;
using Leadspace.Resilience;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>
    /// Connects to a Leadspace program with a perpetual token, a credential (user name = program id,
    /// password = token), OAuth (program id and secret), or the LEADSPACE_* environment variables.
    /// A perpetual token is not checked on connect: there is no free endpoint, and every enrichment call costs
    /// a credit. OAuth credentials are checked, at no cost, by fetching a token.
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "Leadspace", DefaultParameterSetName = TokenSet)]
    [OutputType(typeof(LeadspaceConnection))]
    public sealed class ConnectLeadspaceCommand : LeadspaceCmdlet
    {
        public const string TokenSet = "Token";
        public const string CredentialSet = "Credential";
        public const string OAuthSet = "OAuth";
        internal const string TokenVariable = ConnectionFactory.TokenVariable;
        internal const string ProgramIdVariable = ConnectionFactory.ProgramIdVariable;
        internal const string OAuthSecretVariable = ConnectionFactory.OAuthSecretVariable;
        internal const string BaseUriVariable = ConnectionFactory.BaseUriVariable;

        /// <summary>The perpetual API token. When neither it nor a credential is given, $env:LEADSPACE_API_TOKEN is used.</summary>
        [Parameter(ParameterSetName = TokenSet, Position = 0)]
        [SecureTokenTransformation]
        public SecureString? Token { get; set; }

        /// <summary>User name = program id, password = perpetual token.</summary>
        [Parameter(ParameterSetName = CredentialSet, Mandatory = true, Position = 0)]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>OAuth 2.0: user name = program id, password = the program's secret.</summary>
        [Parameter(ParameterSetName = OAuthSet, Mandatory = true)]
        [Credential]
        public PSCredential? OAuthCredential { get; set; }

        /// <summary>Leadspace program id, shown in errors and verbose output for support tickets.</summary>
        [Parameter(ParameterSetName = TokenSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ProgramIdCompleter))]
        public string? ProgramId { get; set; }

        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(Completion.BaseUriCompleter))]
        public Uri? BaseUri { get; set; }

        /// <summary>Calls per second for the program (Leadspace's limit is 30).</summary>
        [Parameter]
        [ValidateRange(0.1, 100000)]
        public double RequestsPerSecond { get; set; } = 30;

        /// <summary>Most calls in flight at once.</summary>
        [Parameter]
        [ValidateRange(1, 1024)]
        public int MaxConcurrency { get; set; } = 64;

        /// <summary>Timeout of one call, in seconds.</summary>
        [Parameter]
        [ValidateRange(1, 1800)]
        public int TimeoutSec { get; set; } = 60;

        /// <summary>Attempts per row, the first included (1 = no retry).</summary>
        [Parameter]
        [ValidateRange(1, 100)]
        public int MaxAttempts { get; set; } = 6;

        /// <summary>Longest time spent retrying one row, in seconds.</summary>
        [Parameter]
        [ValidateRange(0, 86400)]
        public int MaxRetrySec { get; set; } = 120;

        /// <summary>First retry delay in milliseconds; later ones double (full jitter), up to -RetryMaxDelaySec.</summary>
        [Parameter]
        [ValidateRange(0, 60000)]
        public int RetryBaseDelayMs { get; set; } = 500;

        /// <summary>Longest single retry delay in seconds (a Retry-After from the server may be longer).</summary>
        [Parameter]
        [ValidateRange(0, 3600)]
        public int RetryMaxDelaySec { get; set; } = 30;

        /// <summary>Retries after a timeout or lost connection, where the call may have been processed and
        /// charged. 0 never risks a second charge.</summary>
        [Parameter]
        [ValidateRange(0, 10)]
        public int MaxAmbiguousRetries { get; set; } = 1;

        /// <summary>A StackExchange.Redis configuration string ('host:6379,password=…,ssl=true'): every connection of
        /// the program, in any process on any host pointed at the same store, shares one limit. Default:
        /// $env:LEADSPACE_RATE_LIMIT_STORE; none = this process only.</summary>
        [Parameter]
        [AllowEmptyString]
        public string? RateLimitStore { get; set; }

        /// <summary>The store's Redis ACL user (user name; empty or 'default' = the default user) and password; it
        /// overrides a password in the configuration string. Default: $env:LEADSPACE_RATE_LIMIT_STORE_USER and
        /// $env:LEADSPACE_RATE_LIMIT_STORE_PASSWORD.</summary>
        [Parameter]
        [Credential]
        public PSCredential? RateLimitStoreCredential { get; set; }

        /// <summary>The credits the program may spend per -BudgetPeriod (UTC calendar periods), whatever runs, runbooks and
        /// processes spend it: kept in this process, or with -RateLimitStore in the store for every process and machine of
        /// the program. The lowest budget asked for wins. Default: $env:LEADSPACE_CREDIT_BUDGET; none = no program budget.</summary>
        [Parameter]
        [ValidateRange(0, long.MaxValue)]
        public long CreditBudget { get; set; }

        /// <summary>The period of -CreditBudget: Day (from 00:00 UTC), Week (ISO, from Monday 00:00 UTC) or Month (from the
        /// 1st, 00:00 UTC). Default: $env:LEADSPACE_BUDGET_PERIOD, else Day.</summary>
        [Parameter]
        [ValidateSet("Day", "Week", "Month", IgnoreCase = true)]
        public string? BudgetPeriod { get; set; }

        /// <summary>The largest answer read, in MB (enrichment and OAuth answers); a larger answer fails its row.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int MaxResponseSizeMB { get; set; } = ConnectionSettings.DefaultMaxResponseBytes / (1024 * 1024);

        /// <summary>A proxy for every call (loopback base URIs included) and the OAuth token calls, as
        /// Invoke-RestMethod -Proxy. Without it the environment's proxy applies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, the
        /// system proxy) unless -NoProxy.</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? Proxy { get; set; }

        /// <summary>The proxy's user name and password (with -Proxy).</summary>
        [Parameter]
        [Credential]
        public PSCredential? ProxyCredential { get; set; }

        /// <summary>The proxy gets the current user's credentials (with -Proxy).</summary>
        [Parameter]
        public SwitchParameter ProxyUseDefaultCredentials { get; set; }

        /// <summary>Connect directly, ignoring the environment's and the system's proxy settings.</summary>
        [Parameter]
        public SwitchParameter NoProxy { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        protected override void StopProcessing() => _stop.Cancel();

        protected override void EndProcessing()
        {
            var request = new ConnectionRequest
            {
                BaseUri = BaseUri,
                ProgramId = ProgramId,
                RateLimitStoreUser = RateLimitStoreCredential?.UserName,
                RateLimitStorePassword = RateLimitStoreCredential?.Password,
                Token = Token,
                CreditBudget = MyInvocation.BoundParameters.ContainsKey(nameof(CreditBudget)) ? CreditBudget : (long?)null,
                BudgetPeriod = BudgetPeriod,
                Settings = new ConnectionSettings
                {
                    RequestsPerSecond = RequestsPerSecond,
                    MaxConcurrency = MaxConcurrency,
                    Timeout = TimeSpan.FromSeconds(TimeoutSec),
                    Retry = new RetryPolicy
                    {
                        MaxAttempts = MaxAttempts,
                        MaxElapsed = TimeSpan.FromSeconds(MaxRetrySec),
                        BaseDelay = TimeSpan.FromMilliseconds(RetryBaseDelayMs),
                        MaxDelay = TimeSpan.FromSeconds(Math.Max(RetryMaxDelaySec, RetryBaseDelayMs / 1000.0)),
                        MaxAmbiguousRetries = MaxAmbiguousRetries,
                    },
                    RateLimitStore = RateLimitStoreOption.Resolve(MyInvocation.BoundParameters.ContainsKey(nameof(RateLimitStore)), RateLimitStore),
                    MaxResponseBytes = MaxResponseSizeMB * 1024 * 1024,
                    Proxy = Proxy,
                    ProxyCredential = ProxyCredential?.GetNetworkCredential(),
                    ProxyUseDefaultCredentials = ProxyUseDefaultCredentials,
                    NoProxy = NoProxy,
                },
            };
            switch (ParameterSetName)
            {
                case CredentialSet:
                    request.Method = ConnectionRequest.Auth.Credential;
                    request.UserName = Credential!.UserName;
                    request.Password = Credential.Password;
                    break;
                case OAuthSet:
                    request.Method = ConnectionRequest.Auth.OAuth;
                    request.UserName = OAuthCredential!.UserName;
                    request.Password = OAuthCredential.Password;
                    WriteVerbose($"Obtaining an OAuth token for program '{OAuthCredential.UserName}' (costs no credit).");
                    break;
            }

            ConnectionOutcome outcome;
            try
            {
                outcome = ConnectionFactory.Open(request, Environment.GetEnvironmentVariable, _stop.Token, warn: WriteWarning);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (LeadspaceConnectException ex)
            {
                ThrowTerminatingError(ErrorRecords.For(ex, ex.Target));
                return;
            }
            catch (RateLimitStoreException ex)
            {
                ThrowTerminatingError(RateLimitStoreErrors.Record(ex, request.Settings.RateLimitStore));
                return;
            }

            var connection = outcome.Connection;
            ConnectionRegistry.Add(connection, CurrentRunspaceId);
            if (outcome.ReplacedRate is double before)
            {
                WriteWarning($"Program '{connection.ProgramId ?? "(token)"}' was limited to {before} calls/s by an earlier connection in this process; every connection of it now shares {connection.RequestsPerSecond} calls/s.");
            }
            if (outcome.BudgetWarning != null) WriteWarning(outcome.BudgetWarning);
            WriteVerbose($"Connected to {connection.BaseUri} as program '{connection.ProgramId ?? "(not given)"}' ({connection.AuthMethod}); {connection.RequestsPerSecond} calls/s, {connection.MaxConcurrency} in flight, timeout {TimeoutSec} s, {MaxAttempts} attempts. No credit was spent.");
            if (connection.Proxy != null) WriteVerbose($"Every call, and every OAuth token call, goes through the proxy {connection.Proxy}.");
            else if (NoProxy) WriteVerbose("Calls connect directly: the environment's and the system's proxy settings are ignored (-NoProxy).");
            if (connection.Client.Settings.RateLimitStore != null) WriteVerbose(RateLimitStoreErrors.Describe(connection.Gate));
            if (connection.Budget?.Snapshot() is Budget.BudgetSnapshot budget)
                WriteVerbose($"Credit budget: {budget.Limit} credit(s) per {Budget.BudgetPeriods.Noun(budget.Period)} (UTC; this one since {budget.PeriodStart:yyyy-MM-dd HH:mm} UTC), {budget.Spent} spent, kept in the "
                    + (budget.KeptIn == "Store" ? "rate limit store (every process of the program)" : "process") + ".");
            if (PassThru) WriteObject(connection);
        }
    }
}
