using System;
using System.Management.Automation;
using System.Net.Http;
using System.Security;
using System.Threading;
using Leadspace.Client;
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
        public const string TokenVariable = "LEADSPACE_API_TOKEN";
        public const string ProgramIdVariable = "LEADSPACE_PROGRAM_ID";
        public const string OAuthSecretVariable = "LEADSPACE_OAUTH_SECRET";
        public const string BaseUriVariable = "LEADSPACE_BASE_URI";

        /// <summary>The perpetual API token. When neither it nor a credential is given, $env:LEADSPACE_API_TOKEN is used.</summary>
        [Parameter(ParameterSetName = TokenSet, Position = 0)]
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
        public string? ProgramId { get; set; }

        [Parameter]
        [ValidateNotNull]
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

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        protected override void StopProcessing() => _stop.Cancel();

        protected override void EndProcessing()
        {
            var baseUri = BaseUri ?? FromEnvironmentUri() ?? ConnectionSettings.DefaultBaseUri;
            var settings = new ConnectionSettings
            {
                BaseUri = baseUri,
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
            };
            try
            {
                settings.Validate();
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "LeadspaceInvalidConnectionSetting", ErrorCategory.InvalidArgument, baseUri));
            }

            Func<HttpClient, ITokenProvider> tokens;
            string method;
            string gateKey;
            switch (ParameterSetName)
            {
                case CredentialSet:
                    settings.ProgramId = Blank(Credential!.UserName);
                    tokens = _ => new PerpetualTokenProvider(Credential.Password);
                    method = "PerpetualToken";
                    gateKey = LeadspaceConnection.GateKeyFor(baseUri, settings.ProgramId, SecureText.ToPlain(Credential.Password));
                    break;
                case OAuthSet:
                    settings.ProgramId = Blank(OAuthCredential!.UserName);
                    if (settings.ProgramId == null) ThrowTerminatingError(new ErrorRecord(new ArgumentException("-OAuthCredential needs the program id as its user name."), "LeadspaceOAuthProgramIdMissing", ErrorCategory.InvalidArgument, null));
                    tokens = http => new OAuthTokenProvider(http, baseUri, settings.ProgramId!, OAuthCredential.Password, timeout: settings.Timeout);
                    method = "OAuth";
                    gateKey = LeadspaceConnection.GateKeyFor(baseUri, settings.ProgramId, null);
                    break;
                default:
                    settings.ProgramId = ProgramId ?? Blank(Environment.GetEnvironmentVariable(ProgramIdVariable));
                    var token = Token ?? FromEnvironment(TokenVariable);
                    if (token == null)
                    {
                        var secret = FromEnvironment(OAuthSecretVariable);
                        if (secret != null && settings.ProgramId != null)
                        {
                            tokens = http => new OAuthTokenProvider(http, baseUri, settings.ProgramId!, secret, timeout: settings.Timeout);
                            method = "OAuth";
                            gateKey = LeadspaceConnection.GateKeyFor(baseUri, settings.ProgramId, null);
                            break;
                        }
                        var record = new ErrorRecord(
                            new ArgumentException($"No token given. Pass -Token, -Credential or -OAuthCredential, or set ${TokenVariable} (and ${ProgramIdVariable}) for unattended runs."),
                            "LeadspaceTokenMissing", ErrorCategory.AuthenticationError, null);
                        record.ErrorDetails = new ErrorDetails(record.Exception.Message) { RecommendedAction = "Connect-Leadspace -Token (Read-Host -AsSecureString 'Leadspace token') -ProgramId <program id>" };
                        ThrowTerminatingError(record);
                    }
                    tokens = _ => new PerpetualTokenProvider(token!);
                    method = "PerpetualToken";
                    gateKey = LeadspaceConnection.GateKeyFor(baseUri, settings.ProgramId, SecureText.ToPlain(token!));
                    break;
            }

            LeadspaceConnection connection;
            try
            {
                connection = new LeadspaceConnection(settings, method, gateKey, gate => new LeadspaceClient(settings, tokens, gate));
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "LeadspaceInvalidCredential", ErrorCategory.InvalidArgument, null));
                return;
            }
            catch (RateLimitStoreException ex)
            {
                ThrowTerminatingError(RateLimitStoreErrors.Record(ex, settings.RateLimitStore));
                return;
            }

            if (method == "OAuth")
            {
                WriteVerbose($"Obtaining an OAuth token for program '{settings.ProgramId}' from {baseUri} (costs no credit).");
                try
                {
                    connection.Client.Tokens.GetTokenAsync(_stop.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    connection.Dispose();
                    throw new PipelineStoppedException();
                }
                catch (Exception ex) when (ex is LeadspaceAuthenticationException || ex is LeadspaceTokenUnavailableException || ex is HttpRequestException)
                {
                    connection.Dispose();
                    var refused = ex is LeadspaceAuthenticationException;
                    var record = new ErrorRecord(ex, refused ? "LeadspaceOAuthFailed" : "LeadspaceOAuthUnavailable",
                        refused ? ErrorCategory.AuthenticationError : ErrorCategory.ConnectionError, settings.ProgramId);
                    record.ErrorDetails = new ErrorDetails(ex.Message)
                    {
                        RecommendedAction = refused ? $"Check the program id and secret of program '{settings.ProgramId}'." : $"Check that {baseUri} is reachable, then connect again.",
                    };
                    ThrowTerminatingError(record);
                }
            }

            ConnectionRegistry.Add(connection, CurrentRunspaceId);
            WriteVerbose($"Connected to {baseUri} as program '{settings.ProgramId ?? "(not given)"}' ({method}); {settings.RequestsPerSecond} calls/s, {settings.MaxConcurrency} in flight, timeout {TimeoutSec} s, {MaxAttempts} attempts. No credit was spent.");
            if (settings.RateLimitStore != null) WriteVerbose(RateLimitStoreErrors.Describe(connection.Gate));
            if (PassThru) WriteObject(connection);
        }

        private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s!.Trim();

        private static SecureString? FromEnvironment(string name)
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrWhiteSpace(value)) return null;
            var secure = new SecureString();
            foreach (var c in value!.Trim()) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }

        private Uri? FromEnvironmentUri()
        {
            var value = Environment.GetEnvironmentVariable(BaseUriVariable);
            if (string.IsNullOrWhiteSpace(value)) return null;
            if (Uri.TryCreate(value!.Trim(), UriKind.Absolute, out var uri)) return uri;
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"${BaseUriVariable} ('{value}') is not an absolute URI."), "LeadspaceInvalidBaseUri", ErrorCategory.InvalidArgument, value));
            return null;
        }
    }
}
