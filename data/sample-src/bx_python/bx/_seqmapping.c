/* egg-migrate sample: bx._seqmapping.reverse_complement(s) -> the reverse
 * complement of the DNA string s (unicode in, unicode out).
 *
 * On Python 2 it goes through the Py_UNICODE API, so the module references
 * PyUnicodeUCS4_* (or PyUnicodeUCS2_*) symbols: the binary itself says which
 * unicode width (cp27mu / cp27m) it needs.
 */
#include <Python.h>

static Py_UCS4
complement(Py_UCS4 c)
{
    switch (c) {
    case 'A': return 'T';
    case 'T': return 'A';
    case 'C': return 'G';
    case 'G': return 'C';
    case 'a': return 't';
    case 't': return 'a';
    case 'c': return 'g';
    case 'g': return 'c';
    default: return c;
    }
}

static PyObject *
seqmapping_reverse_complement(PyObject *self, PyObject *args)
{
    PyObject *s;
    Py_ssize_t i, n;

    if (!PyArg_ParseTuple(args, "U:reverse_complement", &s))
        return NULL;
#if PY_MAJOR_VERSION >= 3
    {
        Py_UCS4 *buf = PyUnicode_AsUCS4Copy(s);
        PyObject *result;

        if (buf == NULL)
            return NULL;
        n = PyUnicode_GetLength(s);
        for (i = 0; i < n / 2; i++) {
            Py_UCS4 tmp = buf[i];
            buf[i] = complement(buf[n - 1 - i]);
            buf[n - 1 - i] = complement(tmp);
        }
        if (n % 2)
            buf[n / 2] = complement(buf[n / 2]);
        result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
        PyMem_Free(buf);
        return result;
    }
#else
    {
        Py_UNICODE *src = PyUnicode_AsUnicode(s);
        PyObject *result;
        Py_UNICODE *dst;

        n = PyUnicode_GetSize(s);
        result = PyUnicode_FromUnicode(NULL, n);
        if (result == NULL)
            return NULL;
        dst = PyUnicode_AsUnicode(result);
        for (i = 0; i < n; i++)
            dst[i] = (Py_UNICODE)complement(src[n - 1 - i]);
        return result;
    }
#endif
}

static PyMethodDef seqmapping_methods[] = {
    {"reverse_complement", seqmapping_reverse_complement, METH_VARARGS,
     "reverse_complement(s) -> reverse complement of the DNA string s"},
    {NULL, NULL, 0, NULL}
};

#if PY_MAJOR_VERSION >= 3
static struct PyModuleDef seqmapping_module = {
    PyModuleDef_HEAD_INIT, "bx._seqmapping", NULL, -1, seqmapping_methods
};

PyMODINIT_FUNC
PyInit__seqmapping(void)
{
    return PyModule_Create(&seqmapping_module);
}
#else
PyMODINIT_FUNC
init_seqmapping(void)
{
    Py_InitModule("bx._seqmapping", seqmapping_methods);
}
#endif
