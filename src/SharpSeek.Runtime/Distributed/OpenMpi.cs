// THE binding to Open MPI's C library (libmpi.so.40, Debian's openmpi-bin/libopenmpi-dev): the few
// calls expert parallelism needs, as function pointers. MPI.NET 1.4.0 restores but binds msmpi.dll
// with MS-MPI's integer handles, so it cannot run on Linux. Open MPI's handles are addresses of
// exported globals (MPI_COMM_WORLD = &ompi_mpi_comm_world); the library is opened RTLD_GLOBAL so its
// plugins resolve against it. Every call returns the MPI error code (the communicator returns errors).
using System.Runtime.InteropServices;

namespace SharpSeek.Runtime.Distributed;

internal sealed unsafe class OpenMpi
{
    public const int Success = 0, ThreadSerialized = 2, MaxErrorString = 256;
    private const int RtldNow = 2, RtldGlobal = 0x100;
    private static readonly string[] Names = ["libmpi.so.40", "libmpi.so"];

    public readonly nint CommWorld, Byte, Int, ErrorsReturn;
    public static readonly void* InPlace = (void*)1;   // MPI_IN_PLACE in Open MPI's mpi.h
    public static readonly void* StatusIgnore = null;  // MPI_STATUS_IGNORE

    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank, CommSize;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, int> Send;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, void*, int> Recv;
    public readonly delegate* unmanaged<int, int, nint, int*, void*, int> Iprobe;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;

    private OpenMpi(nint lib)
    {
        nint F(string name) => NativeLibrary.TryGetExport(lib, name, out nint p) ? p
            : throw new DllNotFoundException($"{Names[0]} has no symbol {name}: an Open MPI 4 library is required");
        CommWorld = F("ompi_mpi_comm_world"); Byte = F("ompi_mpi_byte"); Int = F("ompi_mpi_int"); ErrorsReturn = F("ompi_mpi_errors_return");
        Initialized = (delegate* unmanaged<int*, int>)F("MPI_Initialized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)F("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)F("MPI_Comm_set_errhandler");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)F("MPI_Allgatherv");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)F("MPI_Bcast");
        Send = (delegate* unmanaged<void*, int, nint, int, int, nint, int>)F("MPI_Send");
        Recv = (delegate* unmanaged<void*, int, nint, int, int, nint, void*, int>)F("MPI_Recv");
        Iprobe = (delegate* unmanaged<int, int, nint, int*, void*, int>)F("MPI_Iprobe");
        Barrier = (delegate* unmanaged<nint, int>)F("MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)F("MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)F("MPI_Error_string");
    }

    /// <summary>Opens libmpi (RTLD_NOW | RTLD_GLOBAL) or says what to install.</summary>
    public static OpenMpi Load()
    {
        foreach (string name in Names)
        {
            nint lib = DlOpen(name, RtldNow | RtldGlobal);
            if (lib != 0) return new OpenMpi(lib);
        }
        throw new DllNotFoundException("Open MPI's libmpi.so.40 was not found: install it (apt-get install openmpi-bin libopenmpi-dev) and launch with mpirun");
    }

    /// <summary>The text of an MPI error code.</summary>
    public string Describe(int code)
    {
        byte* text = stackalloc byte[MaxErrorString];
        int len = 0;
        return ErrorString(code, text, &len) == Success ? Marshal.PtrToStringUTF8((nint)text, len) : $"MPI error {code}";
    }

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern nint DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);
}
