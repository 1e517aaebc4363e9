/* egg-migrate sample: pysam.csamtools, linked against zlib (-lz).
 *
 * crc32(data)    -> CRC-32 of the byte string data (unsigned)
 * zlib_version() -> zlib's runtime version string
 *
 * It uses no unicode API, so on Python 2 nothing in the binary tells UCS2 from
 * UCS4: only Galaxy's "-ucs4" in the egg's file name does.
 */
#include <Python.h>
#include <zlib.h>

static PyObject *
csamtools_crc32(PyObject *self, PyObject *args)
{
    const char *data;
    Py_ssize_t size;

#if PY_MAJOR_VERSION >= 3
    if (!PyArg_ParseTuple(args, "y#:crc32", &data, &size))
#else
    if (!PyArg_ParseTuple(args, "s#:crc32", &data, &size))
#endif
        return NULL;
    return PyLong_FromUnsignedLong(crc32(0L, (const Bytef *)data, (uInt)size));
}

static PyObject *
csamtools_zlib_version(PyObject *self, PyObject *noargs)
{
    return Py_BuildValue("s", zlibVersion());
}

static PyMethodDef csamtools_methods[] = {
    {"crc32", csamtools_crc32, METH_VARARGS, "crc32(data) -> CRC-32 of data"},
    {"zlib_version", csamtools_zlib_version, METH_NOARGS, "zlib_version() -> str"},
    {NULL, NULL, 0, NULL}
};

#if PY_MAJOR_VERSION >= 3
static struct PyModuleDef csamtools_module = {
    PyModuleDef_HEAD_INIT, "pysam.csamtools", NULL, -1, csamtools_methods
};

PyMODINIT_FUNC
PyInit_csamtools(void)
{
    return PyModule_Create(&csamtools_module);
}
#else
PyMODINIT_FUNC
initcsamtools(void)
{
    Py_InitModule("pysam.csamtools", csamtools_methods);
}
#endif
